"""The base of every domain error a service raises.

Web views turn them into a message beside the form; the API into a status code
with ``{"detail": ..., **extra}``.
"""


class DomainError(Exception):
    http_status = 409

    def __init__(self, detail: str, **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def as_dict(self) -> dict:
        return {"detail": self.detail, **self.extra}
