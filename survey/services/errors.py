"""Domain errors that views turn into form errors or 4xx responses."""

from __future__ import annotations


class DomainError(Exception):
    """A refused use case; ``message`` is shown to the user (already translated)."""

    status_code = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class LoginThrottled(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after_seconds: int):
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class InvalidCredentials(DomainError):
    status_code = 401


class Conflict(DomainError):
    status_code = 409
