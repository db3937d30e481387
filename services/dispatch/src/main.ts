import 'reflect-metadata';
import { runService } from '@app/platform';
import { startDispatch } from './app';

runService('dispatch', startDispatch);
