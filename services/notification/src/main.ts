import 'reflect-metadata';
import { runService } from '@app/platform';
import { startNotification } from './app';

runService('notification', startNotification);
