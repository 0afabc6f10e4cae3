"""The answer to "any warnings for this number?"."""

from dataclasses import dataclass


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs a check about 1 us
class Verdict:
    number: str  # the international format of what was understood
    warnings: int
    categories: list[str]
    last_reported: str | None  # YYYY-MM of the latest incident that counts
    regions: list[str]
    summaries: list[str]

    @classmethod
    def from_rows(cls, international: str, rows) -> "Verdict":
        """``rows`` are the counting warnings, newest first."""
        if not rows:
            return cls(international, 0, [], None, [], [])
        return cls(
            number=international,
            warnings=len(rows),
            categories=sorted({row["category"] for row in rows}),
            last_reported=rows[0]["incident_date"][:7],
            regions=sorted({row["region"] for row in rows if row["region"]}),
            summaries=[row["summary"] for row in rows if row["summary"]],
        )

    def as_json(self) -> dict:
        # Field by field: dataclasses.asdict deep-copies, which costs more than the lookup.
        return {
            "number": self.number,
            "warnings": self.warnings,
            "categories": list(self.categories),
            "last_reported": self.last_reported,
            "regions": list(self.regions),
            "summaries": list(self.summaries),
        }
