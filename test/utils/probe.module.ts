import { Body, Controller, Get, HttpCode, Logger, Module, Post } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsInt,
  IsString,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { DataSource } from 'typeorm';

import { ConflictError, IdParam, Public, defineErrorCodes } from '@app/core';

class ProbeItemDto {
  @IsInt()
  @Min(1)
  @Max(5)
  readonly quantity!: number;
}

class ProbeBodyDto {
  @IsString()
  @Length(1, 10)
  readonly name!: string;

  @ValidateNested({ each: true })
  @Type(() => ProbeItemDto)
  @ArrayMinSize(1)
  @ArrayMaxSize(3)
  readonly items!: ProbeItemDto[];
}

const ProbeErrorCode = defineErrorCodes({ PROBE_CONFLICT: { status: 409 } });

class ProbeConflictError extends ConflictError {
  readonly code = ProbeErrorCode.PROBE_CONFLICT;
  constructor() {
    super('Probe is in a conflicting state', { meta: { internalId: 'secret-internal-id' } });
  }
}

/**
 * Test-only routes that make each kind of failure happen inside the real pipeline.
 * Mounted next to the domain modules by createTestApp(); never part of the service.
 */
@Public()
@Controller('_probe')
class ProbeController {
  private readonly logger = new Logger('Probe');

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: ProbeBodyDto): ProbeBodyDto {
    this.logger.log({
      msg: 'echo',
      password: 'hunter2-secret',
      nested: { refreshToken: 'rt-secret' },
      login: { mfaToken: 'mfa-token-secret', recoveryCodes: ['recovery-secret'] },
      setup: { secret: 'totp-secret', otpauthUrl: 'otpauth://totp/x?secret=totp-secret' },
    });
    return body;
  }

  @Get('items/:id')
  item(@IdParam('The item.') id: string): { id: string } {
    return { id };
  }

  @Get('app-error')
  appError(): never {
    throw new ProbeConflictError();
  }

  @Get('boom')
  boom(): never {
    throw new Error('relation "secret_table" does not exist at SELECT * FROM secret_table');
  }

  @Get('db')
  async ping(): Promise<{ one: number }> {
    const rows: Array<{ one: number }> = await this.db.query('SELECT 1 AS one');
    return { one: rows[0]?.one ?? 0 };
  }

  @Get('db-unique')
  async unique(): Promise<never> {
    await this.db.query('CREATE TEMP TABLE IF NOT EXISTS probe_u (k int PRIMARY KEY)');
    await this.db.query('INSERT INTO probe_u VALUES (1) ON CONFLICT DO NOTHING');
    await this.db.query('INSERT INTO probe_u VALUES (1)');
    throw new Error('unreachable');
  }

  @Get('db-slow')
  async slow(): Promise<never> {
    await this.db.query('SELECT pg_sleep(10)');
    throw new Error('unreachable');
  }

  @Get('db-bad-sql')
  async syntax(): Promise<never> {
    await this.db.query('SELEC secret_column FROM secret_table');
    throw new Error('unreachable');
  }
}

@Module({ controllers: [ProbeController] })
export class ProbeModule {}
