"""What the ingestion found wrong, said so that a person can find it in the file."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Problem:
    file: str
    where: str  # "line 12", "feature 37 (code 02001)", or "" for the whole file
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.where:
            parts.append(self.where)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ": ".join(parts) + f": {self.message}"


class IngestError(Exception):
    """Raised with every error found; nothing has been written when it is raised."""

    def __init__(self, errors: list[Problem]):
        self.errors = errors
        shown = "\n".join(f"  {problem}" for problem in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{len(errors)} error(s), nothing was loaded:\n{shown}{more}")


class Report:
    """Collects errors (which stop the load) and warnings (which are printed)."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, file: str, where: str, field: str | None, message: str) -> None:
        self.errors.append(Problem(file, where, field, message))

    def warn(self, file: str, where: str, field: str | None, message: str) -> None:
        self.warnings.append(Problem(file, where, field, message))

    def raise_if_errors(self) -> None:
        if self.errors:
            raise IngestError(self.errors)
