"""Structured errors: a bad document yields codes and messages, never a traceback (schema.md §1)."""
from __future__ import annotations


class GxnlpError(Exception):
    """An expected failure on one document, with the snake_case code schema.md lists."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
