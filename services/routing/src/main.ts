import 'reflect-metadata';
import { runService } from '@app/platform';
import { startRouting } from './app';

runService('routing', startRouting);
