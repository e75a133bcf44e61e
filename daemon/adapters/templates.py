"""Mail templates: Jinja2, a text and an HTML part for each kind of mail.

The built-in templates ship in the package (the repository's `templates/`);
a zone overrides any of them by putting a file of the same name in the folder
named by `outgoing.templates`. Undefined names are errors, never blanks, and
the HTML part is autoescaped, so nothing a unit wrote can change the markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from daemon.errors import TemplateError

KINDS = ("ack", "rejection", "reminder", "escalation", "upstream", "digest")


@dataclass(frozen=True)
class RenderedMail:
    """A rendered mail: subject, plain text and HTML."""

    subject: str
    text: str
    html: str


class MailTemplates:
    """Renders mails from the zone's templates, falling back to the built-in ones."""

    def __init__(self, override_dir: Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if override_dir is not None:
            loaders.append(jinja2.FileSystemLoader(override_dir))
        loaders.append(jinja2.PackageLoader("daemon", "templates"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )

    def render(self, kind: str, context: Mapping[str, Any]) -> RenderedMail:
        """Render both parts; the text part's first line is `Subject: ...`."""
        text = self._render(f"{kind}.txt", context)
        first, _, body = text.partition("\n")
        if not first.startswith("Subject:"):
            raise TemplateError(f"{kind}.txt must begin with a 'Subject: ...' line")
        html = self._render(f"{kind}.html", context)
        subject = " ".join(first.removeprefix("Subject:").split())
        return RenderedMail(subject=subject, text=body.lstrip("\n"), html=html)

    def _render(self, name: str, context: Mapping[str, Any]) -> str:
        try:
            return self.env.get_template(name).render(context)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"template {name} not found") from exc
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(
                f"template {exc.filename or name}, line {exc.lineno}: {exc.message}"
            ) from exc
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"template {name}: {exc.message}") from exc
        except Exception as exc:
            raise TemplateError(f"template {name}: {exc}") from exc
