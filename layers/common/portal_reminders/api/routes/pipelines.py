"""Pipelines and jobs (R8): entering a stage runs its automations; archiving a job stops the
reminders of the items they created (R13)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from portal_reminders.api.openapi import Tag
from portal_reminders.api.routes.common import SCHEDULE_RULES, caller, responses
from portal_reminders.wiring import get_services

if TYPE_CHECKING:  # defined with the first routed request (api/deferred.py)
    from portal_reminders.api.present import job_out, pipeline_out
    from portal_reminders.api.schemas import JobIn, JobOut, MoveIn, PipelineIn, PipelineOut

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.post(
    "/pipelines",
    operation_id="createPipeline",
    tags=[Tag.PIPELINES],
    summary="Create a pipeline: stages, each with automations naming a template",
    responses=responses(
        201,
        "the pipeline, each stage with its id",
        400,
        conflict=(
            "an automation's template_id names no template of the firm, or one of another kind than its action's, "
            "or (create_invoice) a template without invoice terms, or a due_date schedule over a template "
            "without due_in_days"
        ),
        invalid=SCHEDULE_RULES,
    ),
)
def create_pipeline(body: PipelineIn) -> Response[PipelineOut]:
    # the pipelines use case (with the item and delivery code it runs) loads with the first pipeline
    # request, not with every cold start of the api
    from portal_reminders.reminders.automations.pipelines import StageSpec  # noqa: PLC0415

    stages = [
        StageSpec(
            name=stage.name,
            automations=[
                (a.action, a.template_id, a.reminders.model_dump(mode="json", exclude_none=True) if a.reminders else {})
                for a in stage.automations
            ],
        )
        for stage in body.stages
    ]
    pipeline = get_services().pipelines.create(caller(router).firm_id, body.name, stages)
    return Response(201, content_types.APPLICATION_JSON, pipeline_out(pipeline))


@router.get(
    "/pipelines/<pipeline_id>",
    operation_id="getPipeline",
    tags=[Tag.PIPELINES],
    summary="One pipeline",
    responses=responses(200, "the pipeline", 404),
)
def get_pipeline(pipeline_id: str) -> PipelineOut:
    return pipeline_out(get_services().pipelines.get(caller(router).firm_id, pipeline_id))


@router.post(
    "/pipelines/<pipeline_id>/jobs",
    operation_id="startJob",
    tags=[Tag.JOBS],
    summary="Put an account's job into a stage; the stage's automations run",
    responses=responses(
        201,
        "the job",
        400,
        404,
        conflict="account_id names no account of the firm, or stage_id no stage of the pipeline",
    ),
)
def start_job(pipeline_id: str, body: JobIn) -> Response[JobOut]:
    job = get_services().pipelines.start_job(caller(router).firm_id, pipeline_id, body.account_id, body.stage_id)
    return Response(201, content_types.APPLICATION_JSON, job_out(job))


@router.get(
    "/jobs/<job_id>",
    operation_id="getJob",
    tags=[Tag.JOBS],
    summary="One job, with the items its automations created",
    responses=responses(200, "the job", 404),
)
def get_job(job_id: str) -> JobOut:
    return job_out(get_services().pipelines.get_job(caller(router).firm_id, job_id))


@router.post(
    "/jobs/<job_id>/move",
    operation_id="moveJob",
    tags=[Tag.JOBS],
    summary="Move a job to another stage; that stage's automations run",
    responses=responses(
        200, "the job", 400, 404, conflict="the job is archived, or stage_id names no stage of its pipeline"
    ),
)
def move_job(job_id: str, body: MoveIn) -> JobOut:
    return job_out(get_services().pipelines.move_job(caller(router).firm_id, job_id, body.stage_id))


@router.post(
    "/jobs/<job_id>/archive",
    operation_id="archiveJob",
    tags=[Tag.JOBS],
    summary="Archive a job: the items its automations created get no more automatic reminders",
    responses=responses(200, "the job", 404),
)
def archive_job(job_id: str) -> JobOut:
    who = caller(router)
    return job_out(get_services().pipelines.archive_job(who.firm_id, job_id, who.user_id))
