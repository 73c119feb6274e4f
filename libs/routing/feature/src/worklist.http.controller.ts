import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { parseRequest, parseStudyUid, ReaderActionSchema, ReadSchema, WorklistQuerySchema } from './dto/routing.dto';
import { WorklistService, type SignResult, type StudyDetail, type WorklistItem } from './worklist.service';

/**
 * The worklist API. GET /worklist?readerId= (a reader's list) or ?pool= (a pool's open studies), in order
 * of priority, score and age; GET /worklist/:studyUid (one study, with the reasons for its placement); POST /worklist/:studyUid/{claim,release,read,amend}. Errors answer
 * `{ statusCode, error, message, problems? }`: 400 bad input, 403 not licensed, 404 unknown study,
 * 409 conflicting claims or state.
 */
@Controller('worklist')
export class WorklistHttpController {
  constructor(private readonly worklist: WorklistService) {}

  @Get()
  list(@Query() query: Record<string, unknown>): { items: WorklistItem[] } {
    return { items: this.worklist.list(parseRequest(WorklistQuerySchema, query, 'worklist query')) };
  }

  @Get(':studyUid')
  detail(@Param('studyUid') uid: string): StudyDetail {
    return this.worklist.detail(parseStudyUid(uid));
  }

  @Post(':studyUid/claim')
  @HttpCode(200)
  claim(@Param('studyUid') uid: string, @Body() body: unknown): Promise<WorklistItem> {
    return this.worklist.claim(parseStudyUid(uid), parseRequest(ReaderActionSchema, body, 'claim').readerId);
  }

  @Post(':studyUid/release')
  @HttpCode(200)
  release(@Param('studyUid') uid: string, @Body() body: unknown): Promise<WorklistItem> {
    return this.worklist.release(parseStudyUid(uid), parseRequest(ReaderActionSchema, body, 'release').readerId);
  }

  @Post(':studyUid/read')
  read(@Param('studyUid') uid: string, @Body() body: unknown): Promise<SignResult> {
    return this.worklist.sign(parseStudyUid(uid), parseRequest(ReadSchema, body, 'read'), 'final');
  }

  @Post(':studyUid/amend')
  amend(@Param('studyUid') uid: string, @Body() body: unknown): Promise<SignResult> {
    return this.worklist.sign(parseStudyUid(uid), parseRequest(ReadSchema, body, 'amendment'), 'amended');
  }
}
