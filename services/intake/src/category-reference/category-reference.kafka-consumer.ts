import { Injectable, OnModuleInit } from '@nestjs/common';
import { CategoryReferencePayload, EventEnvelope, Topic } from '@app/contracts';
import { MessagingService } from '@app/platform';
import { CategoriesRepository } from '../shared/categories.repository';

/** Consumes reference.categories (compacted) into intake's local category list. */
@Injectable()
export class CategoryReferenceKafkaConsumer implements OnModuleInit {
  constructor(
    private readonly messaging: MessagingService,
    private readonly categories: CategoriesRepository,
  ) {}

  onModuleInit(): void {
    this.messaging.consume({
      name: 'categories',
      topics: [Topic.ReferenceCategories],
      partitionsConcurrently: 1,
      handle: (event, manager) =>
        this.categories.upsert(manager, (event as EventEnvelope<CategoryReferencePayload>).payload),
    });
  }
}
