import 'reflect-metadata';
import { runService } from '@app/platform';
import { startIntake } from './app';

runService('intake', startIntake);
