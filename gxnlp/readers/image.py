"""Pictures of reports (图片版: PNG, JPEG, TIFF) through OCR; a very long picture is cut into slices.

Portals often publish a report as one tall image, or as one image per page. Each picture (each TIFF frame)
is read by :mod:`gxnlp.ocr` like a scanned PDF page; a picture taller than ``_SLICE_PAGES`` A4 pages is cut
so that memory stays bounded, at a blank row (between lines) or else along a table rule, which both slices
keep, so no line and no table row is cut in two.
"""
from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING

from gxnlp.document import Document, OcrInfo
from gxnlp.errors import GxnlpError

if TYPE_CHECKING:  # numpy comes with OCR; `gxnlp parse` of text formats starts without it
    import numpy as np

MAX_PIXELS = 120_000_000  # a 150-dpi A4 page is 2.2 M pixels; more than ~50 pages in one picture is a bomb
_SLICE_PAGES = 4  # A4 pages (height 1.41 × width) per slice of a long picture


def read(data: bytes, source: str) -> Document:
    """Read a picture; an undecodable one → ``unreadable_image``, an enormous one → ``too_large``."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    from gxnlp.ocr import ENGINE_NAME, read_pages

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        picture = Image.open(io.BytesIO(data))
        frames = []
        for index in range(getattr(picture, "n_frames", 1)):
            picture.seek(index)
            frames.append(np.asarray(picture.convert("RGB")))
    except Image.DecompressionBombError as exc:
        raise GxnlpError("too_large", f"the picture has too many pixels: {exc}") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise GxnlpError("unreadable_image", f"cannot decode the picture: {exc}") from None
    slices = [part for frame in frames for part in _slices(frame)]
    blocks, skews = [], []
    for result in read_pages(iter(slices)):
        blocks.extend(result.blocks)
        skews.append(round(result.skew, 2))
    if not blocks:
        raise GxnlpError("no_text", f"OCR found no text in the picture ({len(slices)} page(s))")
    dpi = round(picture.info.get("dpi", (0, 0))[0] or 0)
    ocr = OcrInfo(ENGINE_NAME, tuple(range(1, len(slices) + 1)), dpi, tuple(skews))
    return Document(source=source, format="image", blocks=blocks, pages=len(slices), ocr=ocr)


def _slices(image: np.ndarray) -> Iterator[np.ndarray]:
    """Parts of a long picture, each about ``_SLICE_PAGES`` pages high, cut where no text is cut."""
    import numpy as np

    height, width = image.shape[:2]
    target = int(width * 1.41 * _SLICE_PAGES)
    if height <= target * 1.25:
        yield image
        return
    ink = (image.min(axis=2) < 160).sum(axis=1)
    top = 0
    while height - top > target * 1.25:
        low, high = top + target * 3 // 4, top + target
        window = ink[low:high]
        blank = np.flatnonzero(window == 0)
        if len(blank):
            cut = low + int(blank[-1])
            yield image[top:cut]
            top = cut
        else:  # inside a table all the way: cut along its longest rule, kept by both slices
            cut = low + int(np.argmax(window))
            yield image[top:cut + 3]
            top = cut - 2
    yield image[top:]
