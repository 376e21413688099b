"""Pictures of reports (图片版: PNG, JPEG, TIFF) through OCR; a long picture is cut into page-high slices.

Portals often publish a report as one very tall image, or as one image per page. Either way each slice is
read by :mod:`gxnlp.ocr` like a scanned PDF page. Slices are cut at blank rows (between lines, never through
text), so no line is lost at a cut.
"""
from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np

from gxnlp.document import Document, OcrInfo
from gxnlp.errors import GxnlpError

MAX_PIXELS = 120_000_000  # a 150-dpi A4 page is 2.2 M pixels; more than ~50 pages in one picture is a bomb
_PAGE_RATIO = 1.6  # a slice is cut near this height/width ratio (A4 is 1.41), at the nearest blank row


def read(data: bytes, source: str) -> Document:
    """Read a picture; an undecodable one → ``unreadable_image``, an enormous one → ``too_large``."""
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
    dpi = int(round(picture.info.get("dpi", (0, 0))[0] or 0)) or 0
    ocr = OcrInfo(ENGINE_NAME, tuple(range(1, len(slices) + 1)), dpi, tuple(skews))
    return Document(source=source, format="image", blocks=blocks, pages=len(slices), ocr=ocr)


def _slices(image: np.ndarray) -> Iterator[np.ndarray]:
    """Page-high parts of a tall picture, each cut at the blank row nearest to the target height."""
    height, width = image.shape[:2]
    target = int(width * _PAGE_RATIO)
    if height <= target * 1.25:
        yield image
        return
    ink = (image.min(axis=2) < 160).sum(axis=1)
    top = 0
    while height - top > target * 1.25:
        window = ink[top + target // 2: top + target + target // 4]
        cut = top + target // 2 + int(np.argmin(window))
        yield image[top:cut]
        top = cut
    yield image[top:]
