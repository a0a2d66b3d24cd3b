import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

@ApiSchema({ name: 'RefreshToken', description: 'A refresh token from `TokenPair`.' })
export class RefreshTokenDto {
  @ApiProperty({
    minLength: 1,
    maxLength: 200,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'Opaque and single-use. Tokens that were not issued by the service are a 401.',
    example: 'mBJf0cYbX1pT3q9Vw2k7ZsLr8uHn4aE6dGxQy5oNiCt',
  })
  @IsString()
  @Length(1, 200)
  readonly refreshToken!: string;
}
