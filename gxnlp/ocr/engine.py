"""Page images → recognised text boxes, with RapidOCR's PP-OCRv4 ONNX models (shipped in its wheel, offline).

We call the detection and recognition models ourselves instead of ``RapidOCR.__call__`` because scans of
annual reports need what a general OCR call does not do: the red seal and the grey, unevenly lit paper are
removed first (the red channel, divided by its own background), the page is deskewed, detection runs on a
half-size page (text at 150 dpi is twice as tall as the detector needs) and recognition on full-size crops,
and cells of ruled tables that hold ink but no detected box are recognised too (single "0"s are the boxes
the detector drops most).
"""
from __future__ import annotations

import copy
import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

# Detection runs at this fraction of the page: 150-dpi body text (~22 px) stays well above the detector's
# smallest reliable height, and the detector's cost falls with the square of the scale.
DET_SCALE = 0.5
# Recognition scores below this are noise (specks, seal remnants), not text — outside tables. Inside a cell
# that has print, the best reading is kept whatever its score (the score goes out with it).
MIN_SCORE = 0.3
MIN_CELL_SCORE = 0.05
# Skew is searched within this many degrees (scanners and phone photos of documents stay within ±3°).
MAX_SKEW = 3.0
ENGINE_NAME = "rapidocr-onnxruntime PP-OCRv4"
# Recognition input (height, minimum width). Table cells are read at the model's own height, 48 px, padded
# to at least 160 px (RapidOCR pads to 320: single digits then cost twice as much and read no better). Lines
# of running text are read at 32 px: half the cost, which is most of a page's, and no worse on the real
# reports (0.23% of characters wrong at 32 px, 0.37% at 48); digits in cells lose at 32 px (9 of 2,386
# synthetic cells wrong against none), so cells keep 48.
CELL_INPUT = (48, 160)
LINE_INPUT = (32, 108)


Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in page pixels


@dataclass(frozen=True)
class Box:
    """One recognised piece of text: its axis-aligned box on the deskewed page, text and score (0–1)."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    score: float

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


def ocr_threads() -> int:
    """Threads per model call: ``GXNLP_OCR_THREADS``, else 1 (pages, not operators, run in parallel)."""
    return max(1, int(os.environ.get("GXNLP_OCR_THREADS", "1")))


class OcrEngine:
    """The detection and recognition sessions, loaded once per process (see :func:`ocr_engine`)."""

    def __init__(self, threads: int | None = None) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as error:  # pragma: no cover - a pinned dependency; say what to do
            raise ImportError("OCR needs rapidocr-onnxruntime: pip install rapidocr-onnxruntime") from error
        threads = threads or ocr_threads()
        ocr = RapidOCR(use_cls=False, intra_op_num_threads=threads, inter_op_num_threads=1)
        self._det = ocr.text_det
        self._det.limit_type, self._det.limit_side_len = "min", 32  # we scale the page ourselves
        _with_arena(self._det.infer, threads)
        _with_arena(ocr.text_rec.session, threads)
        self._rec = ocr.text_rec
        self._rec.rec_image_shape = [3, *CELL_INPUT]
        self._lines = copy.copy(ocr.text_rec)  # the same session, another input size
        self._lines.rec_image_shape = [3, *LINE_INPUT]

    def detect(self, page: np.ndarray) -> list[Rect]:
        """Text boxes (x0, y0, x1, y1) on ``page`` (grey, uint8), found on a ``DET_SCALE`` copy."""
        import cv2

        small = cv2.resize(page, None, fx=DET_SCALE, fy=DET_SCALE, interpolation=cv2.INTER_AREA)
        quads, _ = self._det(np.dstack([small] * 3))
        if quads is None:
            return []
        boxes = []
        for quad in quads:
            xs, ys = quad[:, 0] / DET_SCALE, quad[:, 1] / DET_SCALE
            boxes.append((float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())))
        return boxes

    def recognise(self, page: np.ndarray, boxes: list[Rect],
                  char: float, cells: bool = True) -> list[tuple[str, float]]:
        """(text, score) of each box of ``page``, as table cells or as lines of running text (``cells``);
        ``char`` is the page's character height (px), which tells vertical text (a box a character wide and
        several tall) from a lone narrow digit."""
        if not boxes:
            return []
        crops = [_line_image(page, box, char) for box in boxes]
        results, _ = (self._rec if cells else self._lines)([np.dstack([crop] * 3) for crop in crops])
        return [(text, float(score)) for text, score, *_ in results]


    def recognise_digits(self, page: np.ndarray, boxes: list[Rect]) -> list[tuple[str, float]]:
        """(number, score) of each box read as digits only: at each character the recogniser found, the digit
        (or decimal point) it scores highest. For cells of a numeric row whose free reading is not a number
        (a lone "1" read as 工): the glyph is a number, the question is which; the score says how sure."""
        if not boxes:
            return []
        character = self._rec.postprocess_op.character
        digits = np.array([i for i, ch in enumerate(character) if ch in _DIGIT_CHARS])
        results = []
        for box in boxes:
            crop = np.dstack([_line_image(page, box, 0.0)] * 3)
            ratio = max(CELL_INPUT[1] / CELL_INPUT[0], crop.shape[1] / crop.shape[0])
            probs = self._rec.session(self._rec.resize_norm_img(crop, ratio)[np.newaxis])[0][0]
            read = probs.argmax(axis=1)
            # frames where the free reading put a character: which digit is each most like
            frames = np.flatnonzero((read != 0) & np.r_[True, read[1:] != read[:-1]])
            best = digits[probs[frames][:, digits].argmax(axis=1)] if len(frames) else np.array([], int)
            text = "".join(character[i] for i in best)
            score = float(probs[frames, best].mean()) if len(frames) else 0.0
            results.append((text, score))
        return results


_DIGIT_CHARS = frozenset("0123456789.")


def _line_image(page: np.ndarray, box: Rect, char: float) -> np.ndarray:
    """The crop of ``box``; vertical text (one character per line in a narrow merged cell) is cut into
    character squares laid side by side, so the recogniser reads it as a horizontal line."""
    h, w = page.shape
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(w, max(x0 + 1, int(np.ceil(box[2])))), min(h, max(y0 + 1, int(np.ceil(box[3]))))
    crop = page[y0:y1, x0:x1]
    width, height = crop.shape[1], crop.shape[0]
    if width >= 0.7 * char and height >= 1.8 * width:
        count = max(1, round(height / width))
        step = height / count
        pieces = [crop[round(i * step):round((i + 1) * step)] for i in range(count)]
        tallest = max(p.shape[0] for p in pieces)
        crop = np.hstack([np.pad(p, ((0, tallest - p.shape[0]), (0, 0)), constant_values=255) for p in pieces])
    return np.ascontiguousarray(crop)


def _with_arena(wrapper: Any, threads: int) -> None:
    """Rebuild a RapidOCR session with ONNX Runtime's memory arena on (RapidOCR turns it off): a page makes
    dozens of small recognition calls, and reusing their buffers saves about a tenth of the time."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
    wrapper.session = ort.InferenceSession(wrapper.session._model_path, options, providers=["CPUExecutionProvider"])


_ENGINE: OcrEngine | None = None
_LOCK = threading.Lock()


def ocr_engine() -> OcrEngine:
    """The process's engine, loaded on first use: ONNX Runtime sessions are safe to run from several threads
    at once, so the page threads share one copy of the models."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = OcrEngine()
        return _ENGINE


def clean_page(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """A grey page with the seal, the paper tone and the skew removed, and the skew angle in degrees.

    Red ink is bright in the red channel, so a seal over the text vanishes while black print stays; dividing
    by the page's own background (a wide dilation: text is thinner than its kernel) turns grey or unevenly lit
    paper white; the contrast is then stretched so that the darkest print is black.
    """
    import cv2

    grey = rgb[..., 0] if rgb.ndim == 3 else rgb
    background = cv2.dilate(grey, np.ones((15, 15), np.uint8))
    background = cv2.blur(background, (31, 31))
    flat = cv2.divide(grey, np.maximum(background, 1), scale=255)
    darkest = float(np.percentile(flat, 0.5))  # faint print (a light scan, toner running low) made black
    if 10 < darkest < 200:  # a blank page has no print to stretch
        flat = cv2.convertScaleAbs(flat, alpha=255 / (255 - darkest), beta=-255 * darkest / (255 - darkest))
    angle = skew_angle(flat)
    if abs(angle) >= 0.1:
        h, w = flat.shape
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        flat = cv2.warpAffine(flat, matrix, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)
    return flat, angle


def skew_angle(grey: np.ndarray) -> float:
    """The rotation (degrees) that makes text lines and table rules horizontal: the angle whose row profile
    of ink is sharpest, searched in 0.5° steps on a quarter-size page, then in 0.05° steps on a half-size
    one (a 0.4° tilt moves a table row's end by 7 px at 150 dpi: enough to split the row)."""
    import cv2

    def search(scale: float, angles: np.ndarray) -> float:
        small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        ink = (small < 128).astype(np.float32)
        h, w = ink.shape

        def sharpness(angle: float) -> float:
            matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
            rows = cv2.warpAffine(ink, matrix, (w, h)).sum(axis=1)
            return float(np.square(np.diff(rows)).sum())

        return float(max(angles, key=sharpness))

    if (grey < 128).sum() < 800:
        return 0.0
    coarse = search(0.25, np.arange(-MAX_SKEW, MAX_SKEW + 1e-9, 0.5))
    return search(0.5, np.arange(coarse - 0.45, coarse + 0.451, 0.05))
