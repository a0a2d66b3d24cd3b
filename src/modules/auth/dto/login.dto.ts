import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength } from 'class-validator';

import { normaliseEmail } from '../../users';

@ApiSchema({ name: 'Login', description: 'Credentials of an account.' })
export class LoginDto {
  /** Compared as stored: trimmed and lower-cased. */
  @ApiProperty({
    format: 'email',
    maxLength: 255,
    description: 'Compared trimmed and case-insensitively.',
    example: 'ada@example.com',
  })
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? normaliseEmail(value) : value,
  )
  @IsString()
  @MaxLength(255)
  @IsEmail({}, { message: 'email must be an email' })
  readonly email!: string;

  /** Not length-checked beyond the maximum: a wrong password is a 401, not a 400. */
  @ApiProperty({
    format: 'password',
    maxLength: 128,
    description: 'Only the maximum length is checked: a wrong password is a 401, not a 400.',
    example: 'correct horse battery staple',
  })
  @IsString()
  @MaxLength(128)
  readonly password!: string;
}
