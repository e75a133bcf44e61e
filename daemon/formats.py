"""Report formats as data: the built-in catalogue and the schema of a format definition."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from daemon.core.models import Column, ReportFormat
from daemon.core.models import Field as FieldName


class ColumnDef(BaseModel):
    """One column of a format definition, as written in YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: FieldName
    header: str = Field(min_length=1)
    synonyms: tuple[str, ...] = ()
    required: bool = False


class FormatDef(BaseModel):
    """A format definition, as written in YAML."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    columns: tuple[ColumnDef, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _fields_once(self) -> FormatDef:
        seen = [c.field for c in self.columns]
        repeated = sorted({f for f in seen if seen.count(f) > 1})
        if repeated:
            raise ValueError(f"each field may appear once; repeated: {', '.join(repeated)}")
        return self

    def to_format(self, name: str) -> ReportFormat:
        return ReportFormat(
            name=name,
            title=self.title,
            columns=tuple(
                Column(field=c.field, header=c.header, synonyms=c.synonyms, required=c.required)
                for c in self.columns
            ),
        )


@cache
def builtin_formats() -> dict[str, ReportFormat]:
    """The formats shipped with anupalan, by name."""
    text = resources.files("daemon").joinpath("builtin_formats.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return {name: FormatDef.model_validate(body).to_format(name) for name, body in data.items()}
