import * as protobuf from 'protobufjs';
import Long from 'long';

/**
 * protobuf's `Message::DebugString()` (text format), for the errors and messages TF Serving builds with
 * it. A small reflection printer that writes a protobufjs message the way protobuf's TextFormat::Printer
 * does: fields by number, map entries sorted by key, proto3 defaults left out, C-escaped strings. It
 * favours simplicity over speed: only error paths use it.
 */

type Obj = Record<string, unknown>;

/** protobuf's CEscape: printable ASCII as is, the usual backslash escapes, other bytes in octal. */
function cEscape(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    if (b === 0x0a) s += '\\n';
    else if (b === 0x0d) s += '\\r';
    else if (b === 0x09) s += '\\t';
    else if (b === 0x22) s += '\\"';
    else if (b === 0x27) s += "\\'";
    else if (b === 0x5c) s += '\\\\';
    else if (b < 0x20 || b >= 0x7f) s += `\\${b.toString(8).padStart(3, '0')}`;
    else s += String.fromCharCode(b);
  }
  return s;
}

/** Shortest `%g`-style text that reads back as the same value (SimpleDtoa / SimpleFtoa). */
function formatFloat(v: number, single: boolean): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  let text = String(v);
  if (single) {
    for (let p = 1; p <= 9; p++) {
      const candidate = v.toPrecision(p);
      if (Math.fround(Number(candidate)) === v) {
        text = String(Number(candidate));
        break;
      }
    }
  }
  // JavaScript writes 1e21 as "1e+21" like C, but 1e-7 as "1e-7" where C writes "1e-07".
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

function isDefault(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (v === 0 || v === false || v === '') return true;
  if (v instanceof Uint8Array) return v.byteLength === 0;
  if (Long.isLong(v)) return (v as Long).isZero();
  return false;
}

function scalarText(field: protobuf.Field, v: unknown): string {
  if (field.resolvedType instanceof protobuf.Enum) {
    const name = field.resolvedType.valuesById[v as number];
    return name ?? String(v);
  }
  switch (field.type) {
    case 'string':
      return `"${cEscape(Buffer.from(v as string, 'utf8'))}"`;
    case 'bytes':
      return `"${cEscape(v as Uint8Array)}"`;
    case 'float':
      return formatFloat(v as number, true);
    case 'double':
      return formatFloat(v as number, false);
    case 'bool':
      return v ? 'true' : 'false';
    default:
      return Long.isLong(v) ? (v as Long).toString() : String(v);
  }
}

function printValue(field: protobuf.Field, name: string, v: unknown, indent: string, out: string[]): void {
  if (field.resolvedType instanceof protobuf.Type) {
    out.push(`${indent}${name} {\n`);
    printMessage(field.resolvedType, v as Obj, `${indent}  `, out);
    out.push(`${indent}}\n`);
  } else {
    out.push(`${indent}${name}: ${scalarText(field, v)}\n`);
  }
}

function printMessage(type: protobuf.Type, msg: Obj, indent: string, out: string[]): void {
  const fields = [...type.fieldsArray].sort((a, b) => a.id - b.id);
  for (const field of fields) {
    field.resolve();
    const v = msg[field.name];
    if (field instanceof protobuf.MapField) {
      const entries = Object.entries((v as Obj | undefined) ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      for (const [key, value] of entries) {
        out.push(`${indent}${field.name} {\n`);
        out.push(`${indent}  key: ${field.keyType === 'string' ? `"${cEscape(Buffer.from(key, 'utf8'))}"` : key}\n`);
        printValue(field, 'value', value, `${indent}  `, out);
        out.push(`${indent}}\n`);
      }
    } else if (field.repeated) {
      for (const item of (v as unknown[] | undefined) ?? []) printValue(field, field.name, item, indent, out);
    } else if (field.resolvedType instanceof protobuf.Type || field.partOf) {
      // Messages and oneof members have presence: printed when set, even if empty.
      if (Object.prototype.hasOwnProperty.call(msg, field.name) && v !== null && v !== undefined) {
        printValue(field, field.name, v, indent, out);
      }
    } else if (!isDefault(v)) {
      printValue(field, field.name, v, indent, out);
    }
  }
}

/** `message` of `type` as protobuf's DebugString prints it. */
export function debugString(type: protobuf.Type, message: protobuf.Message | Record<string, unknown>): string {
  const out: string[] = [];
  printMessage(type, message as unknown as Obj, '', out);
  return out.join('');
}
