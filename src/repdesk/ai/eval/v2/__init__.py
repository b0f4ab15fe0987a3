"""Evaluation v2 (``repdesk eval``): businesses the engine was not written for, taught and
asked through the API. ``runner`` teaches and asks, ``checks`` scores, ``report`` summarises,
``documents`` builds the uploaded files."""

from repdesk.ai.eval.v2.checks import (
    _data_texts,
    allowed_amounts,
    check_order,
    derived_sums,
    invented_in,
    score_question,
)
from repdesk.ai.eval.v2.documents import document_bytes
from repdesk.ai.eval.v2.report import (
    TARGETS,
    BusinessRun,
    OrderResult,
    QuestionResult,
    ReportV2,
    dumps,
    format_report,
    summarise,
)
from repdesk.ai.eval.v2.runner import (
    SETS,
    SPLITS,
    RunnerError,
    business_files,
    load_business,
    run_v2,
)

__all__ = [
    "SETS",
    "SPLITS",
    "TARGETS",
    "BusinessRun",
    "OrderResult",
    "QuestionResult",
    "ReportV2",
    "RunnerError",
    "_data_texts",
    "allowed_amounts",
    "business_files",
    "check_order",
    "derived_sums",
    "document_bytes",
    "dumps",
    "format_report",
    "invented_in",
    "load_business",
    "run_v2",
    "score_question",
    "summarise",
]
