"""The API's request and response models: the OpenAPI document is generated from these (SpecTree)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from audit_app.form_fields import MAX_YEAR, MIN_YEAR

MAX_LIMIT = 200
DEFAULT_LIMIT = 50

T = TypeVar("T")


class Model(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Query(BaseModel):
    """Query parameters: an unknown one is an error naming it, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(Query):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Items per page, at most {MAX_LIMIT}.")
    cursor: str | None = Field(None, max_length=200, description="The cursor the previous page gave, to read the next one.")


class Links(Model):
    next: str | None = Field(None, description="The next page, or null on the last page.")


class Page(Model, Generic[T]):
    data: list[T]
    next_cursor: str | None = None
    links: Links = Links()


class FieldProblem(Model):
    field: str = Field(description="Where the problem is: a query parameter, a body field or a checklist path.")
    detail: str


class Problem(Model):
    """An error, as RFC 9457 application/problem+json."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    errors: list[FieldProblem] = []


# --- the organisation ----------------------------------------------------------------------------


class Region(Model):
    id: int
    code: str
    name: str
    is_active: bool


class Area(Model):
    id: int
    code: str
    name: str
    region_id: int
    is_active: bool


class Store(Model):
    id: int
    url: str = ""
    code: str
    name: str
    area_id: int
    city: str
    address: str
    timezone: str
    is_active: bool
    latitude: float | None = Field(None, description="WGS 84 degrees; null when the store has no coordinates.")
    longitude: float | None = None
    radius_m: int | None = Field(None, description="Allowed distance of a visit's location, in metres; null: the "
                                 "programme's default.")


class AreaQuery(PageQuery):
    region_id: int | None = Field(None, ge=1, le=2**31 - 1)


class StoreQuery(PageQuery):
    area_id: int | None = Field(None, ge=1, le=2**31 - 1)


class StoreCreate(Query):
    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=160)
    area_id: int = Field(ge=1, le=2**31 - 1)
    city: str = Field("", max_length=120)
    address: str = Field("", max_length=300)
    timezone: str = Field("UTC", min_length=1, max_length=64, description="An IANA name such as Asia/Tokyo.")
    latitude: float | None = Field(None, description="WGS 84 degrees, with longitude (both or neither).")
    longitude: float | None = None
    radius_m: int | None = Field(None, description="Allowed distance in metres (10 to 100,000); null: the default.")


class StoreUpdate(Query):
    code: str | None = Field(None, min_length=1, max_length=32)
    name: str | None = Field(None, min_length=1, max_length=160)
    area_id: int | None = Field(None, ge=1, le=2**31 - 1)
    city: str | None = Field(None, max_length=120)
    address: str | None = Field(None, max_length=300)
    timezone: str | None = Field(None, min_length=1, max_length=64)
    latitude: float | None = Field(None, description="Send null (with longitude) to clear the coordinates.")
    longitude: float | None = None
    radius_m: int | None = None


# --- checklists ----------------------------------------------------------------------------------


class VersionSummary(Model):
    id: int
    number: int
    status: Literal["draft", "published", "retired"]
    created_at: datetime
    published_at: datetime | None
    url: str = ""


class Checklist(Model):
    id: int
    url: str = ""
    key: str
    title: str
    channel: str
    versions: list[VersionSummary]


class ChecklistVersion(Model):
    checklist_id: int
    checklist_key: str
    id: int
    number: int
    status: Literal["draft", "published", "retired"]
    created_at: datetime
    published_at: datetime | None
    definition: dict[str, Any] = Field(description="The checklist as its YAML format describes it (JSON here).")


class VersionQuery(Query):
    format: Literal["json", "yaml"] = Field("json", description="yaml answers the definition as YAML text.")


# --- assignments ---------------------------------------------------------------------------------


class Assignment(Model):
    id: int
    shopper_id: int
    store_id: int
    checklist_id: int
    window_start: date
    window_end: date
    status: Literal["open", "started", "done", "cancelled"]
    created_at: datetime


class AssignmentQuery(PageQuery):
    status: Literal["open", "started", "done", "cancelled"] | None = None
    store_id: int | None = Field(None, ge=1, le=2**31 - 1)
    checklist_id: int | None = Field(None, ge=1, le=2**31 - 1)


class AssignmentCreate(Query):
    shopper_id: int = Field(ge=1, le=2**31 - 1)
    store_id: int = Field(ge=1, le=2**31 - 1)
    checklist_id: int = Field(ge=1, le=2**31 - 1)
    window_start: date
    window_end: date


# --- visits --------------------------------------------------------------------------------------


class Score(Model):
    percent: float | None = Field(description="The visit's score in percent, as stored when it was scored.")
    percent_exact: str | None = Field(description="The exact percent as a fraction (\"2225/27\").")
    earned: str
    possible: str
    grade: str | None
    critical_failures: int
    scored_at: datetime
    checklist_version_id: int


class SectionScore(Model):
    visit_id: int
    section_key: str
    earned: str
    possible: str
    percent: float | None
    is_zeroed: bool


class Answer(Model):
    question_key: str
    value: Any = None
    is_na: bool
    comment: str
    photo_ids: list[int]
    photo_urls: list[str] = []


class Visit(Model):
    id: int
    url: str = ""
    status: Literal["submitted", "approved", "returned", "voided"]
    store_id: int
    store_url: str = ""
    area_id: int
    checklist_id: int
    checklist_url: str = ""
    checklist_version_id: int
    checklist_version: int
    shopper_id: int | None = Field(description="Null when the reader may not see who the shopper was.")
    started_at: datetime
    submitted_at: datetime | None
    updated_at: datetime
    score: Score | None = Field(description="Null for readers who see no scores (shoppers), or an unscored visit.")
    sections: list[SectionScore]


class VisitDetail(Visit):
    answers: list[Answer]
    card: dict[str, Any] | None = Field(description="The stored score card: every question's points and reasons.")


def _plausible(moment: datetime) -> datetime:
    # The years a form takes; at the calendar's ends a moment would not even convert to UTC.
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValueError(f"must be a moment in the years {MIN_YEAR} to {MAX_YEAR}")
    return moment


Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]

VisitStatus = Literal["submitted", "approved", "returned", "voided"]


class VisitQuery(PageQuery):
    status: list[VisitStatus] = Field(["submitted", "approved"], description="Repeat to ask for several.")
    store_id: int | None = Field(None, ge=1, le=2**31 - 1)
    area_id: int | None = Field(None, ge=1, le=2**31 - 1)
    checklist_id: int | None = Field(None, ge=1, le=2**31 - 1)
    submitted_since: Moment | None = Field(None, description="ISO 8601 with an offset, such as 2026-12-01T00:00:00Z.")
    updated_since: Moment | None = Field(None, description="Only visits changed since then (incremental sync).")


class PhotoQuery(Query):
    variant: Literal["full", "thumb"] = "full"


class Empty(Query):
    pass


ActionStatus = Literal["open", "in_progress", "resolved", "closed", "reopened"]


class ActionQuery(PageQuery):
    status: list[ActionStatus] = Field([], description="Repeat to ask for several; every status when left out.")
    store_id: int | None = Field(None, ge=1, le=2**31 - 1)
    updated_since: Moment | None = Field(None, description="Only actions changed since then (incremental sync).")


class Action(Model):
    id: int
    url: str | None = Field(None, description="This action in the API.")
    store_id: int
    checklist_id: int | None
    visit_id: int | None = Field(description="The visit whose failed question created it, if any.")
    question_key: str | None
    title: str
    title_ja: str = Field(description="The Japanese title, or empty when the rule gave none.")
    priority: Literal["low", "medium", "high", "critical"]
    status: ActionStatus
    source: Literal["manual", "rule"]
    assignee_id: int | None
    due_on: date
    requires_evidence: bool
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolution_comment: str
    closed_at: datetime | None
    reopen_reason: str
    followup_visit_id: int | None = Field(description="The later visit that verified or reopened it, if any.")
    followup_result: Literal["passed", "failed"] | None


class ActionChangeIn(Query):
    status: Literal["in_progress", "resolved", "closed", "reopened"] = Field(
        description="Starting and resolving are for the assignee or the store's manager; closing and reopening "
                    "for the store's area manager and head office.")
    comment: str = Field("", max_length=4000, description="What was done (resolved), a note (closed), or why "
                         "(reopened, required).")
