import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { STAFF_ROLES, StaffRole } from './roles';

export class LoginDto {
  @ApiProperty({ example: 'dispatcher' })
  @IsString()
  @Length(1, 64)
  username!: string;

  @ApiProperty({ example: 'dispatcher-demo-2026', format: 'password' })
  @IsString()
  @Length(1, 200)
  password!: string;
}

export class LoginResponseDto {
  @ApiProperty({ description: 'Bearer token (also set as the HttpOnly cookie center_token)' })
  token!: string;
  @ApiProperty({ format: 'date-time' })
  expiresAt!: string;
  @ApiProperty({ enum: STAFF_ROLES, isArray: true })
  roles!: StaffRole[];
  @ApiProperty()
  displayName!: string;
}

export class StaffMeDto {
  @ApiProperty() staffId!: string;
  @ApiProperty() username!: string;
  @ApiProperty() displayName!: string;
  @ApiProperty({ enum: STAFF_ROLES, isArray: true }) roles!: StaffRole[];
}
