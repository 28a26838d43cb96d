"""Map › Adapt Encoder to This Map…: asks for a training time budget, runs adapt_map in the
build worker (torch never loads in the UI process) with the build's progress dialog and Cancel,
then says what happened and reopens the map when its vectors and layout changed. When the
held-out check rejected the adapted encoder, "Keep Anyway" switches the map to it all the same
(re-embedding in the worker); closing the dialog instead removes the rejected encoder."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject

from ideamap.app.jobs.build_job import JobOutcome, JobSpec

CANCELLING = "Stopping… (the map stays as it is)"
KEEP_ANYWAY = "Keep Anyway"


class AdaptFlow(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.w = window

    def adapt_open_map(self) -> bool:
        """Ask for the minutes and start; False when nothing was started."""
        from ideamap.adapt_map import DEFAULT_MINUTES

        session = self.w.session
        if session is None:
            return False
        minutes = self.w.ask.adapt_minutes(DEFAULT_MINUTES)
        if minutes is None:
            return False
        spec = JobSpec("adapt", str(session.path), minutes=float(minutes))
        return self.w.builds.start(spec, f"Adapting the encoder to “{session.path.stem}”",
                                   on_finished=self._finished, cancelling_text=CANCELLING)

    def _finished(self, outcome: JobOutcome) -> None:
        headline, message = adapt_summary(outcome)
        dialog = self.w.builds.dialog
        if dialog is not None:
            dialog.show_finished(headline, message, [])
        report = outcome.report or {}
        if outcome.status == "done" and report.get("kept"):
            self.w.open_map(Path(report.get("map_path") or self.w.builds.runner.spec.map_path))
        elif outcome.status == "done" and report.get("adapted_id") and dialog is not None:
            self._offer_keep_anyway(dialog, report)
        if dialog is not None and dialog.isVisible():
            dialog.raise_()

    def _offer_keep_anyway(self, dialog, report: dict) -> None:
        model_id = report["adapted_id"]
        map_path = report.get("map_path") or self.w.builds.runner.spec.map_path
        chosen = []

        def keep() -> None:
            chosen.append(True)
            dialog.close()
            spec = JobSpec("apply-encoder", str(map_path), model_id=model_id,
                           check_json=json.dumps(report.get("check") or {}))
            self.w.builds.start(spec, f"Switching “{Path(map_path).stem}” to the adapted encoder",
                                on_finished=self._finished, cancelling_text=CANCELLING)

        def closed(_result: int) -> None:
            if not chosen and report.get("adapted_is_new"):
                from ideamap.embed.registry import remove_encoder

                remove_encoder(model_id)  # ~90 MB nobody asked to keep

        dialog.add_action(KEEP_ANYWAY, keep)
        dialog.finished.connect(closed)


def adapt_summary(outcome: JobOutcome) -> tuple[str, str]:
    """(headline, message) for the finished dialog."""
    report = outcome.report or {}
    if outcome.status == "cancelled":
        return "Adaptation stopped", outcome.message
    if outcome.status != "done":
        return "The encoder was not adapted", outcome.message
    if not report.get("kept"):
        message = report.get("message") or "The map keeps its encoder."
        if report.get("adapted_id"):
            message += f"\n“{KEEP_ANYWAY}” switches the map to the adapted encoder all the same."
        return "Adaptation did not help", message
    if report.get("kept_on_request"):
        return "The map now uses the adapted encoder", report.get("message", "")
    return "The map now uses the adapted encoder", _kept_message(report)


def _kept_message(report: dict) -> str:
    check = report.get("check") or {}
    figures = held_out_figures(check)
    lines = [f"Kept the encoder {report.get('model_id', '')}: on {check.get('documents', 0):,} documents kept "
             f"aside from training ({check.get('paragraphs', 0):,} paragraphs), it did at least as well "
             f"as {check.get('baseline_id') or 'the previous encoder'}."]
    if figures:
        lines.append(figures)
    lines.append(f"All {report.get('paragraphs_embedded', 0):,} paragraphs were re-embedded and the map "
                 "was laid out again.")
    return "\n".join(lines)


def held_out_figures(check: dict) -> str:
    """"Same-document neighbours 0.512 → 0.540; split-half MRR 0.301 → 0.322." from the check."""
    parts = []
    for key, name in (("document_agreement", "Same-document neighbours"), ("split_half_mrr", "Split-half MRR")):
        base, new = check.get(f"baseline_{key}"), check.get(f"adapted_{key}")
        if _number(base) and _number(new):
            parts.append(f"{name} {base:.3f} → {new:.3f}")
    return "; ".join(parts) + "." if parts else ""


def _number(value) -> bool:
    return isinstance(value, (int, float)) and value == value  # NaN is not a figure
