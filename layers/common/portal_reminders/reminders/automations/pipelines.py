"""Pipelines, jobs and stage automations (R8) and archiving a job (R13).

Entering a stage goes one way only: the api writes the job with a new entry (entry_id), the
publisher announces it from the table's stream as JobEnteredStage on the bus, and the automations
function consumes that and runs the stage's automations once per entry. The entry and the job are
one write, so a job is never saved without its event, nor an event published for an unsaved job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from portal_reminders import budget, ids
from portal_reminders.clock import now as clock_now
from portal_reminders.models.commands import SendItem
from portal_reminders.models.domain import (
    SYSTEM_ACTOR,
    Automation,
    AutomationAction,
    Job,
    JobStatus,
    Origin,
    Pipeline,
    Stage,
    Template,
)
from portal_reminders.models.errors import DomainError, InvalidInput, StateConflict
from portal_reminders.models.messages import JobEnteredStage
from portal_reminders.observability import logger
from portal_reminders.reminders.clients.items import ItemService
from portal_reminders.reminders.clients.lookup import existing, load
from portal_reminders.reminders.clients.retry import with_retries
from portal_reminders.reminders.clients.templates import TemplateService
from portal_reminders.reminders.scheduling import sequences
from portal_reminders.reminders.state import transitions
from portal_reminders.repository.ports import AccountRepository, PipelineRepository

ARCHIVED_REASON = "job archived"


@dataclass(frozen=True, slots=True)
class StageSpec:
    name: str
    automations: Sequence[tuple[AutomationAction, str, Mapping[str, Any]]] = ()


@dataclass(slots=True)
class EntryOutcome:
    status: str  # "ran" | "dropped"
    reason: str | None = None
    item_ids: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class PipelineService:
    def __init__(
        self,
        pipelines: PipelineRepository,
        accounts: AccountRepository,
        templates: TemplateService,
        items: ItemService,
        now: Callable[[], datetime] = clock_now,
    ) -> None:
        self._pipelines = pipelines
        self._accounts = accounts
        self._templates = templates
        self._items = items
        self._now = now

    # pipelines ---------------------------------------------------------------------------------

    def create(self, firm_id: str, name: str, stages: Sequence[StageSpec]) -> Pipeline:
        if not stages:
            raise InvalidInput("a pipeline needs at least one stage", field="stages")
        built = []
        for s, spec in enumerate(stages):
            automations = []
            for a, (action, template_id, reminders) in enumerate(spec.automations):
                where = f"stages[{s}].automations[{a}].template_id"
                template = self._templates.for_item(firm_id, template_id, action.kind, field=where)
                # an automation has no request to fill gaps from: the template must hold everything
                # (a template without a title lends its name as the item's title)
                if action is AutomationAction.CREATE_INVOICE and template.invoice is None:
                    raise StateConflict(f"template {template_id} has no invoice terms", field=where)
                _check_schedule(reminders, template, f"stages[{s}].automations[{a}].reminders.")
                automations.append(Automation(action=action, template_id=template_id, reminders=dict(reminders)))
            built.append(Stage(id=ids.new_id(ids.STAGE), name=spec.name, automations=tuple(automations)))
        pipeline = Pipeline(
            firm_id=firm_id, id=ids.new_id(ids.PIPELINE), name=name, stages=tuple(built), created_at=self._now()
        )
        return self._pipelines.create_pipeline(pipeline)

    def get(self, firm_id: str, pipeline_id: str) -> Pipeline:
        return existing("pipeline", ids.PIPELINE, pipeline_id, lambda i: self._pipelines.get_pipeline(firm_id, i))

    # jobs ----------------------------------------------------------------------------------------

    def get_job(self, firm_id: str, job_id: str) -> Job:
        return existing("job", ids.JOB, job_id, lambda i: self._pipelines.get_job(firm_id, i))

    def start_job(self, firm_id: str, pipeline_id: str, account_id: str, stage_id: str) -> Job:
        """Put an account's job into a stage: a new entry, announced from the stream (JobEnteredStage);
        its automations run once that event is consumed."""
        pipeline = self.get(firm_id, pipeline_id)
        if load(ids.ACCOUNT, account_id, lambda i: self._accounts.get_account(firm_id, i)) is None:
            raise StateConflict(f"account {account_id} does not exist", field="account_id")
        self._stage(pipeline, stage_id)
        now = self._now()
        job = Job(
            firm_id=firm_id,
            id=ids.new_id(ids.JOB),
            pipeline_id=pipeline.id,
            account_id=account_id,
            stage_id=stage_id,
            created_at=now,
            entered_at=now,
            entry_id=ids.new_id(ids.ENTRY),
        )
        return self._pipelines.save_job(job)

    def move_job(self, firm_id: str, job_id: str, stage_id: str) -> Job:
        def attempt() -> Job:
            job = self.get_job(firm_id, job_id)
            if job.status is JobStatus.ARCHIVED:
                raise StateConflict("the job is archived; it cannot move")
            self._stage(self.get(firm_id, job.pipeline_id), stage_id)
            entered = replace(job, stage_id=stage_id, entered_at=self._now(), entry_id=ids.new_id(ids.ENTRY))
            return self._pipelines.save_job(entered)

        return with_retries(attempt)

    def archive_job(self, firm_id: str, job_id: str, actor: str) -> Job:
        """Archive the job: the items its automations created keep their status but get no more
        automatic reminders (R13). Archiving twice changes nothing."""

        def attempt() -> Job:
            job = self.get_job(firm_id, job_id)
            if job.status is JobStatus.ARCHIVED:
                return job
            return self._pipelines.save_job(replace(job, status=JobStatus.ARCHIVED, archived_at=self._now()))

        job = with_retries(attempt)
        for item_id in job.item_ids:
            self._items.change_reminders(firm_id, item_id, actor, {"enabled": False}, reason=ARCHIVED_REASON)
        return job

    # the automations function ---------------------------------------------------------------

    def run_entry(self, entry: JobEnteredStage) -> EntryOutcome:
        """Run the automations of the stage the job entered. Anything unknown is dropped with a
        log line (an event is never retried forever); items are created once per entry."""
        job = self._pipelines.get_job(entry.firm_id, entry.job_id)
        pipeline = self._pipelines.get_pipeline(entry.firm_id, entry.pipeline_id)
        stage = pipeline.stage(entry.stage_id) if pipeline else None
        problem = None
        if job is None or pipeline is None or stage is None:
            problem = "unknown job, pipeline or stage"
        elif job.pipeline_id != pipeline.id or job.account_id != entry.account_id:
            problem = "the job is not in that pipeline, or not for that account"
        elif job.status is JobStatus.ARCHIVED:
            problem = "the job is archived"
        if problem or job is None or stage is None:
            logger.warning("JobEnteredStage dropped", extra={"reason": problem, **entry.model_dump()})
            return EntryOutcome(status="dropped", reason=problem)
        outcome = EntryOutcome(status="ran")
        for index, automation in enumerate(stage.automations):
            # out of time: fail, and the retry creates the rest (each item once, by its derived id)
            budget.check()
            origin = Origin(
                pipeline_id=entry.pipeline_id,
                stage_id=entry.stage_id,
                job_id=entry.job_id,
                entry_id=entry.entry_id,
                automation=index,
                action=automation.action.value,
            )
            try:
                item = self._items.send(
                    SendItem(
                        firm_id=entry.firm_id,
                        account_id=entry.account_id,
                        actor=SYSTEM_ACTOR,
                        kind=automation.action.kind,
                        template_id=automation.template_id,
                        automation=automation,
                        origin=origin,
                    )
                )
            except DomainError as error:
                # e.g. the account was removed: the other automations still run
                logger.warning("automation skipped", extra={"automation": origin.as_dict(), "error": str(error)})
                outcome.failed.append(f"{index}: {error}")
                continue
            outcome.item_ids.append(item.id)
        self._remember_items(entry, outcome.item_ids)
        logger.info("stage automations ran", extra={"entry_id": entry.entry_id, "items": len(outcome.item_ids)})
        return outcome

    def _remember_items(self, entry: JobEnteredStage, item_ids: list[str]) -> None:
        def attempt() -> Job:
            job = self.get_job(entry.firm_id, entry.job_id)
            new = [i for i in item_ids if i not in job.item_ids]
            return self._pipelines.save_job(replace(job, item_ids=(*job.item_ids, *new))) if new else job

        job = with_retries(attempt)
        if job.status is JobStatus.ARCHIVED:
            # archived while these items were being created: they get no reminders either
            for item_id in item_ids:
                self._items.change_reminders(
                    entry.firm_id, item_id, SYSTEM_ACTOR, {"enabled": False}, reason=ARCHIVED_REASON
                )

    @staticmethod
    def _stage(pipeline: Pipeline, stage_id: str) -> Stage:
        stage = pipeline.stage(stage_id)
        if stage is None:
            raise StateConflict(f"stage {stage_id} is not a stage of pipeline {pipeline.id}", field="stage_id")
        return stage


def _check_schedule(reminders: Mapping[str, Any], template: Template, prefix: str) -> None:
    """The automation's reminders over its template's (R8): a due-date schedule needs steps, and the
    template a due_in_days, since an automation's item has no request to give it a due date."""
    sequences.check_layer(reminders, prefix)
    settings = transitions.merge_settings(reminders, template.reminders)
    if settings.by_due_date and template.due_in_days is None:
        # the stored template lacks it: the request is fine in itself (409)
        raise StateConflict(
            f"a due_date schedule needs a due date: template {template.id} has no due_in_days",
            field=f"{prefix}schedule",
        )
    sequences.check_settings(settings, has_due_date=True, named=reminders, prefix=prefix)
