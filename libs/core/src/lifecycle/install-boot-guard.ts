/** Side-effect module: main.ts's very first import, so the guard is up before anything loads. */
import { installBootGuard } from './boot-guard';

installBootGuard();
