"""Stocktakes as the API shows them, one family: what a supervisor or operator may
send (open, count, recount, cancel) and what every answer shows (the stocktake with
its lines, the variance report). inventory/stocktakes/queries.py builds the Public
models; the service returns them and the routes declare them: a field is written
here once."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from inventory.stocktakes.domain import StocktakeStatus
from kernel.fields import MAX_QUANTITY
from kernel.signatures import SignatureIn, SignaturePublic

# --- what a request may say


class OpenStocktake(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    zone: str | None = Field(None, max_length=64, description="count every bin of this zone")
    locations: list[str] | None = Field(None, min_length=1, max_length=1000,
                                        description="or count these bins")
    blind: bool = Field(True, description="operators do not see the book quantities")
    note: str | None = Field(None, max_length=500)

    @model_validator(mode="after")
    def _one_scope(self) -> OpenStocktake:
        if (self.zone is None) == (self.locations is None):
            raise ValueError("give either zone or locations")
        return self


class CountEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    item: str = Field(min_length=1, max_length=64, description="SKU or GTIN")
    lot_number: str = Field(min_length=1, max_length=64)
    location: str = Field(min_length=1, max_length=64)
    counted: int = Field(ge=0, le=MAX_QUANTITY)


class RecountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[int] = Field(min_length=1, max_length=1000, description="line ids")


class ApproveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    signature: SignatureIn | None = Field(
        None, description="an electronic signature (the password again, meaning `approved` "
        "or `reviewed`); required where the site's `signature_required` says")


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(min_length=3, max_length=500)


# --- what the API shows


class CountRecordPublic(BaseModel):
    counted: int
    book: int | None  # null when the reader may not see it
    user: str
    at: datetime
    recount_asked_by: str | None


class StocktakeLinePublic(BaseModel):
    id: int
    item: str
    lot_number: str
    expiry: date | None
    location: str
    status: str
    counted: int | None
    counted_by: str | None
    counted_at: datetime | None
    # The book quantity at the count (at opening while uncounted); null for operators
    # in a blind stocktake.
    book: int | None
    counts: list[CountRecordPublic]


class StocktakePublic(BaseModel):
    id: int
    status: StocktakeStatus
    zone: str | None
    bins: list[str]
    blind: bool
    note: str | None
    opened_by: str
    opened_at: datetime
    closed_by: str | None
    closed_at: datetime | None
    close_reason: str | None
    lines_total: int
    lines_counted: int
    lines: list[StocktakeLinePublic]
    signatures: list[SignaturePublic] = Field(
        default_factory=list, description="the approval's signature (not in lists)")


class VarianceLinePublic(BaseModel):
    line: int
    item: str
    lot_number: str
    location: str
    status: str
    book: int | None  # as of the count
    counted: int | None
    difference: int | None
    moved_since_count: int | None
    book_now: int
    unit_cost: float | None
    value: float | None


class VarianceReportPublic(BaseModel):
    stocktake: int
    status: StocktakeStatus
    lines: list[VarianceLinePublic]
    lines_with_difference: int
    total_value: float | None  # of the lines whose item has a unit cost
