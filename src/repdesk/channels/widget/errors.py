"""The widget's errors (each with its own code, shown to the embedding page or the visitor)."""

from __future__ import annotations

from repdesk.kit.errors import AppError, Forbidden


class WidgetNotFoundError(AppError):
    status = 404
    code = "WIDGET_NOT_FOUND"


class OriginNotAllowedError(Forbidden):
    code = "WIDGET_ORIGIN_NOT_ALLOWED"


class InvalidVisitorTokenError(AppError):
    status = 401
    code = "INVALID_VISITOR_TOKEN"


class FeatureDisabledError(Forbidden):
    code = "WIDGET_FEATURE_DISABLED"


class UnsupportedFileTypeError(AppError):
    status = 415
    code = "UNSUPPORTED_FILE_TYPE"


class FileTooLargeError(AppError):
    status = 413
    code = "FILE_TOO_LARGE"
