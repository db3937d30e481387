import { createHash } from 'node:crypto';
import { Controller, Get, Header, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { OPS_PAGE_CSS } from './web/ops-page.css';
import { OPS_PAGE_HTML } from './web/ops-page.html';
import { OPS_PAGE_JS } from './web/ops-page.js';

/** The page is a shell; all data comes from /ops/v1 behind the staff login. */
const STRICT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'";

interface Asset {
  body: string;
  type: string;
  etag: string;
}
const asset = (body: string, type: string): Asset => ({
  body,
  type,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
});
const PAGE = asset(OPS_PAGE_HTML, 'text/html; charset=utf-8');
const SCRIPT = asset(OPS_PAGE_JS, 'application/javascript; charset=utf-8');
const STYLE = asset(OPS_PAGE_CSS, 'text/css; charset=utf-8');

/** Serves the ops web page (HTML, one script, one stylesheet) at /ops on the dispatch port. */
@ApiExcludeController()
@Controller('ops')
export class OpsWebController {
  @Get()
  @Header('Cache-Control', 'no-cache')
  page(@Req() req: Request, @Res() res: Response): void {
    this.send(req, res, PAGE);
  }

  @Get('app.js')
  @Header('Cache-Control', 'no-cache')
  script(@Req() req: Request, @Res() res: Response): void {
    this.send(req, res, SCRIPT);
  }

  @Get('app.css')
  @Header('Cache-Control', 'no-cache')
  style(@Req() req: Request, @Res() res: Response): void {
    this.send(req, res, STYLE);
  }

  private send(req: Request, res: Response, a: Asset): void {
    res.setHeader('Content-Security-Policy', STRICT_CSP);
    res.setHeader('ETag', a.etag);
    if (req.header('if-none-match') === a.etag) {
      res.status(304).end();
      return;
    }
    res.type(a.type).send(a.body);
  }
}
