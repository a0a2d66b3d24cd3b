import { Transform } from 'class-transformer';
import { IsEmail, IsString, MaxLength } from 'class-validator';

export class LoginDto {
  /** Compared as stored: trimmed and lower-cased. */
  @Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' ? value.trim().toLowerCase() : value,
  )
  @IsString()
  @MaxLength(255)
  @IsEmail({}, { message: 'email must be an email' })
  readonly email!: string;

  /** Not length-checked beyond the maximum: a wrong password is a 401, not a 400. */
  @IsString()
  @MaxLength(128)
  readonly password!: string;
}
