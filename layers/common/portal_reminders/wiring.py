"""Builds the services once per process, on first use (never at import): settings from the
environment, the pynamodb repository, SES and SQS adapters, and the use cases over them.

Each part is built (and its modules imported) only when a function first asks for it: the scan
never loads the email, delivery or API code, which keeps its cold start short.
"""

from __future__ import annotations

from functools import cache, cached_property
from typing import TYPE_CHECKING

from portal_reminders.adapters import clients
from portal_reminders.settings import Settings, SettingsError, get_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig

    from portal_reminders.adapters.sqs import SqsSendQueue
    from portal_reminders.ports import EventBus, Mailer
    from portal_reminders.reminders.automations.pipelines import PipelineService
    from portal_reminders.reminders.clients.accounts import AccountService
    from portal_reminders.reminders.clients.approvals import ApprovalService
    from portal_reminders.reminders.clients.items import ItemService
    from portal_reminders.reminders.clients.rescheduling import RescheduleService
    from portal_reminders.reminders.clients.sending_domains import SendingDomainService
    from portal_reminders.reminders.clients.suppression import SuppressionService
    from portal_reminders.reminders.clients.templates import TemplateService
    from portal_reminders.reminders.clients.wordings import WordingService
    from portal_reminders.reminders.delivery.daily_cap import DailyCap
    from portal_reminders.reminders.delivery.deliverer import Deliverer
    from portal_reminders.reminders.delivery.pacing import SendPacer
    from portal_reminders.repository.changes import DynamoEventFacts
    from portal_reminders.repository.dynamo import DynamoRepository

# ruff: noqa: PLC0415 - the imports below are deferred on purpose (see the module docstring)

# The partitions of the Powertools idempotency records, the API's (Idempotency-Key) and the
# automations function's (one per stage entry): each function's role may write, update and delete
# only its own there (template.yaml, dynamodb:LeadingKeys).
API_IDEMPOTENCY_PK = "IDEMPOTENCY#api"
AUTOMATIONS_IDEMPOTENCY_PK = "IDEMPOTENCY#automations"


class Services:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def repository(self) -> DynamoRepository:
        from portal_reminders.repository.dynamo import DynamoRepository

        return DynamoRepository(self.settings.table_name, self.settings.region)

    @cached_property
    def queue(self) -> SqsSendQueue:
        from portal_reminders.adapters.sqs import SqsSendQueue

        return SqsSendQueue(clients.client("sqs"), self.settings.send_queue_url, self.settings.send_dead_letter_url)

    @cached_property
    def mailer(self) -> Mailer:
        from portal_reminders.adapters.ses import SesMailer

        return SesMailer(clients.client("sesv2"), self.settings.ses_configuration_set)

    @cached_property
    def pacer(self) -> SendPacer:
        """One per process: it keeps the turns this function booked on the shared send rate."""
        from portal_reminders.adapters.ses import SesAccount
        from portal_reminders.reminders.delivery.pacing import SendPacer

        return SendPacer(
            self.repository,
            SesAccount(clients.client("sesv2")),
            self.settings.send_rate_limit,
            self.settings.send_max_wait_seconds,
        )

    @cached_property
    def daily_cap(self) -> DailyCap:
        from portal_reminders.reminders.delivery.daily_cap import DailyCap

        return DailyCap(self.repository, self.settings.daily_email_cap)

    @cached_property
    def deliverer(self) -> Deliverer:
        from portal_reminders.reminders.delivery.deliverer import Deliverer
        from portal_reminders.reminders.delivery.digest import DigestRounds

        repository = self.repository
        return Deliverer(
            repository,
            self.mailer,
            self.pacer,
            self.daily_cap,
            self.settings,
            digests=lambda mailer: DigestRounds(repository, repository, repository, mailer, self.settings),
        )

    @cached_property
    def templates(self) -> TemplateService:
        from portal_reminders.reminders.clients.templates import TemplateService

        return TemplateService(self.repository)

    @cached_property
    def wordings(self) -> WordingService:
        from portal_reminders.reminders.clients.wordings import WordingService

        return WordingService(self.repository, self.repository, self.repository, self.settings.portal_base_url)

    @cached_property
    def items(self) -> ItemService:
        from portal_reminders.reminders.clients.items import ItemService

        return ItemService(
            self.repository, self.repository, self.templates, self.deliverer, self.daily_cap, self.queue, self.settings
        )

    @cached_property
    def pipelines(self) -> PipelineService:
        from portal_reminders.reminders.automations.pipelines import PipelineService

        return PipelineService(self.repository, self.repository, self.templates, self.items)

    @cached_property
    def event_bus(self) -> EventBus:
        from portal_reminders.adapters.eventbridge import EventBridgeBus

        if not self.settings.event_bus_name:
            raise SettingsError("EVENT_BUS_NAME is not set: the publisher has no bus to publish on")
        return EventBridgeBus(clients.client("events"), self.settings.event_bus_name)

    @cached_property
    def event_facts(self) -> DynamoEventFacts:
        from portal_reminders.repository.changes import DynamoEventFacts

        return DynamoEventFacts(self.settings.table_name, self.settings.region)

    @cached_property
    def approvals(self) -> ApprovalService:
        from portal_reminders.reminders.clients.approvals import ApprovalService

        return ApprovalService(
            self.repository,
            self.repository,
            self.repository,
            self.mailer,
            self.pacer,
            self.daily_cap,
            self.queue,
            self.settings,
        )

    @cached_property
    def rescheduling(self) -> RescheduleService:
        from portal_reminders.reminders.clients.rescheduling import RescheduleService

        return RescheduleService(self.repository, self.repository, self.queue)

    @cached_property
    def accounts(self) -> AccountService:
        from portal_reminders.reminders.clients.accounts import AccountService

        return AccountService(self.repository, self.repository, lambda: self.rescheduling)

    @cached_property
    def sending_domains(self) -> SendingDomainService:
        from portal_reminders.adapters.ses import SesIdentities
        from portal_reminders.reminders.clients.sending_domains import SendingDomainService

        return SendingDomainService(
            self.repository, SesIdentities(clients.client("sesv2")), self.settings.sender_address
        )

    @cached_property
    def suppressions(self) -> SuppressionService:
        from portal_reminders.reminders.clients.suppression import SuppressionService

        return SuppressionService(self.repository, self.repository, self.settings.ses_configuration_set)

    @cached_property
    def idempotency(self) -> DynamoDBPersistenceLayer:
        """Powertools idempotency records, in the service's table under their own partition."""
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        return DynamoDBPersistenceLayer(
            table_name=self.settings.table_name,
            key_attr="pk",
            sort_key_attr="sk",
            static_pk_value=AUTOMATIONS_IDEMPOTENCY_PK,
        )

    @cached_property
    def api_idempotency(self) -> DynamoDBPersistenceLayer:
        """Powertools idempotency records of the API's Idempotency-Key, beside the automations'."""
        from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

        return DynamoDBPersistenceLayer(
            table_name=self.settings.table_name,
            key_attr="pk",
            sort_key_attr="sk",
            static_pk_value=API_IDEMPOTENCY_PK,
            boto3_client=clients.client("dynamodb"),
        )

    @cached_property
    def api_idempotency_config(self) -> IdempotencyConfig:
        from portal_reminders.api.idempotency import api_idempotency_config

        return api_idempotency_config()

    @cached_property
    def idempotency_config(self) -> IdempotencyConfig:
        from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

        # Keyed by firm and entry: another firm (or system) publishing the same entry_id is another
        # entry. A week: EventBridge retries an event for at most a day.
        return IdempotencyConfig(event_key_jmespath="[firm_id, entry_id]", expires_after_seconds=7 * 24 * 3600)


@cache
def get_services() -> Services:
    return Services(get_settings())


def reset() -> None:
    """Forget everything built from the environment (tests; the local runner)."""
    get_services.cache_clear()
    get_settings.cache_clear()
    clients.reset()
