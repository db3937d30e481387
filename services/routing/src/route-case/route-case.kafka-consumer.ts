import { Injectable, OnModuleInit } from '@nestjs/common';
import { CaseReportedPayload, CaseReturnedPayload, DomainError, Topic } from '@app/contracts';
import { MessagingService } from '@app/platform';
import { RouteCaseHandler } from './route-case.handler';

/**
 * case.reported → first routing (attempt 1); case.returned (退单) → routing again excluding every
 * unit that returned the case (attempt returnCount + 1; triage after ROUTING_MAX_RETURNS).
 */
@Injectable()
export class RouteCaseKafkaConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: MessagingService,
    private readonly handler: RouteCaseHandler,
  ) {}

  onModuleInit(): void {
    this.messaging.consume({
      name: 'route-case',
      topics: [Topic.CaseReported, Topic.CaseReturned],
      // The decision, its event and the inbox row are one statement: no BEGIN/COMMIT per event.
      inbox: 'only-statement',
      handle: async (event, manager, meta) => {
        if (meta.topic === Topic.CaseReported) {
          const report = event.payload as CaseReportedPayload;
          await this.handler.route(
            manager,
            {
              report,
              ...(report.categoryCode ? { categoryCode: report.categoryCode } : {}),
              excludedUnitIds: [],
              returnCount: 0,
              attempt: 1,
            },
            meta.inbox,
          );
          return;
        }
        if (meta.topic === Topic.CaseReturned) {
          const returned = event.payload as CaseReturnedPayload;
          const excluded = [...new Set([...returned.excludedUnitIds, returned.unitId])];
          const categoryCode = returned.categoryCode ?? returned.report.categoryCode;
          await this.handler.route(
            manager,
            {
              report: returned.report,
              ...(categoryCode ? { categoryCode } : {}),
              excludedUnitIds: excluded,
              returnCount: returned.returnCount,
              attempt: returned.returnCount + 1,
            },
            meta.inbox,
          );
          return;
        }
        throw new DomainError(
          'ROUTING.UNEXPECTED_EVENT',
          `routing does not handle ${event.type} on ${meta.topic}`,
        );
      },
    });
  }
}
