import type { Response } from 'express';
import { XMLBuilder } from 'fast-xml-parser';

/** JSON or XML answers as GeoReport v2 shapes them: a JSON array/object, or an XML root with repeated children. */
export type Open311Format = 'json' | 'xml';

const builder = new XMLBuilder({ format: true, suppressEmptyNode: false, processEntities: true });

export function formatOf(value: string | undefined): Open311Format | undefined {
  return value === 'json' || value === 'xml' ? value : undefined;
}

type Scalar = string | number | boolean;
export type XmlValue = Scalar | XmlObject | XmlObject[] | Scalar[];
export interface XmlObject {
  [k: string]: XmlValue | undefined;
}

export function toXml(root: string, child: string | undefined, data: XmlObject | XmlObject[]): string {
  const inner = Array.isArray(data) ? (data.length ? { [child ?? 'item']: data } : '') : data;
  return `<?xml version="1.0" encoding="utf-8"?>\n${builder.build({ [root]: inner }) as string}`;
}

/** Sends `data` as JSON, or as XML under `<root>` with each array item as `<child>`. */
export function sendOpen311(
  res: Response,
  format: Open311Format,
  status: number,
  xml: { root: string; child?: string },
  data: XmlObject | XmlObject[],
): void {
  res.status(status);
  if (format === 'xml') {
    res.type('application/xml; charset=utf-8').send(toXml(xml.root, xml.child, data));
  } else {
    res.type('application/json; charset=utf-8').send(JSON.stringify(data));
  }
}
