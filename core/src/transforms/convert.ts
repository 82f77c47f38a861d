import { randomUUID } from "node:crypto";
import type { ConvertOptions, ConvertType } from "../authoring/transform-options.js";
import { dataError } from "../errors.js";

export { convertTypes, type ConvertOptions, type ConvertType } from "../authoring/transform-options.js";

const INT32 = { min: -2147483648n, max: 2147483647n };
const INT64 = { min: -9223372036854775808n, max: 9223372036854775807n };
const uuidPattern = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const decimalPattern = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const defaultTrue = ["true", "t", "yes", "y", "1", "on", "x", "j", "ja"];
const defaultFalse = ["false", "f", "no", "n", "0", "off", "", "nein"];

/** Builds a converter once per run; the returned function throws a data error naming the value. */
export function makeConverter(type: ConvertType, options: ConvertOptions = {}): (value: unknown) => unknown {
  // A blank string listed among a boolean's values means that value, not NULL.
  const blankIsValue = type === "boolean" && [...(options.trueValues ?? []), ...(options.falseValues ?? [])].some((s) => s.trim() === "");
  const emptyAsNull = options.emptyAsNull ?? (type !== "string" && !blankIsValue);
  const fail = (value: unknown, why: string): never => {
    throw dataError(`cannot convert ${JSON.stringify(typeof value === "bigint" ? value.toString() : value)} to ${type}: ${why}`);
  };
  const convert = converterFor(type, options, fail);
  return (value) => {
    if (value === null || value === undefined) return null;
    if (emptyAsNull && typeof value === "string" && value.trim() === "") return null;
    return convert(value);
  };
}

function converterFor(type: ConvertType, options: ConvertOptions, fail: (value: unknown, why: string) => never): (value: unknown) => unknown {
  switch (type) {
    case "string":
      return (v) =>
        v instanceof Uint8Array ? Buffer.from(v).toString("utf8")
        : v instanceof Date ? formatDate(v)
        : typeof v === "object" ? JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x))
        : String(v);
    case "integer":
    case "bigint": {
      const range = type === "integer" ? INT32 : INT64;
      return (v) => {
        const text = typeof v === "string" ? v.trim() : String(v);
        if (!/^[+-]?\d+(\.0*)?$/.test(text)) fail(v, "not a whole number");
        const n = BigInt(text.replace(/\.0*$/, ""));
        if (n < range.min || n > range.max) fail(v, `out of ${type} range`);
        return type === "integer" ? Number(n) : n.toString();
      };
    }
    case "decimal":
      return (v) => {
        const text = (typeof v === "string" ? v.trim() : String(v)).replace(/^\+/, "");
        if (!decimalPattern.test(text)) fail(v, "not a number");
        const plain = text.includes("e") || text.includes("E") ? expandExponent(text) : text;
        return options.scale === undefined ? plain : roundHalfUp(plain, options.scale);
      };
    case "boolean": {
      const yes = new Set((options.trueValues ?? defaultTrue).map((s) => s.trim().toLowerCase()));
      const no = new Set((options.falseValues ?? defaultFalse).map((s) => s.trim().toLowerCase()));
      const listed = (values: Set<string>) => [...values].map((s) => JSON.stringify(s)).join(", ");
      return (v) => {
        if (typeof v === "boolean") return v;
        const text = String(v).trim().toLowerCase();
        if (yes.has(text)) return true;
        if (no.has(text)) return false;
        return fail(v, `expected one of ${listed(yes)} (true) or ${listed(no)} (false)`);
      };
    }
    case "date":
    case "timestamp": {
      const parse = options.format ? patternParser(options.format) : isoParser;
      return (v) => {
        const parts = v instanceof Date ? (Number.isNaN(v.getTime()) ? undefined : isoParser(formatDate(v))) : parse(String(v).trim());
        if (!parts) return fail(v, options.format ? `does not match format ${options.format}` : "not an ISO date");
        if (!validDate(parts)) return fail(v, "no such calendar date");
        const date = `${pad(parts.year, 4)}-${pad(parts.month, 2)}-${pad(parts.day, 2)}`;
        if (type === "date") return date;
        const fraction = parts.fraction ? `.${parts.fraction}` : "";
        return `${date} ${pad(parts.hour, 2)}:${pad(parts.minute, 2)}:${pad(parts.second, 2)}${fraction}`;
      };
    }
    case "uuid":
      return (v) => {
        const text = String(v).trim();
        if (!uuidPattern.test(text)) fail(v, "not a UUID");
        const hex = text.replace(/-/g, "").toLowerCase();
        return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      };
    case "json":
      // The result is JSON text: a parsed string or boolean would otherwise reach the target as a bare
      // word (`x`, `t`) that json/jsonb columns refuse.
      return (v) => {
        if (typeof v === "string") {
          try {
            return JSON.stringify(JSON.parse(v));
          } catch (error) {
            return fail(v, (error as Error).message);
          }
        }
        if (v instanceof Uint8Array) return fail("(binary)", "binary values are not JSON");
        try {
          return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
        } catch (error) {
          return fail(String(v), (error as Error).message);
        }
      };
    default:
      throw new Error(`unknown convert type ${type as string}`);
  }
}

interface DateParts { year: number; month: number; day: number; hour: number; minute: number; second: number; fraction?: string }

const isoPattern = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?$/;

function isoParser(text: string): DateParts | undefined {
  const m = isoPattern.exec(text);
  if (!m) return undefined;
  return { year: +m[1], month: +m[2], day: +m[3], hour: +(m[4] ?? 0), minute: +(m[5] ?? 0), second: +(m[6] ?? 0), fraction: m[7] };
}

const tokenPatterns: Record<string, [string, keyof DateParts | "year2"]> = {
  yyyy: ["(\\d{4})", "year"], yy: ["(\\d{2})", "year2"], MM: ["(\\d{2})", "month"], M: ["(\\d{1,2})", "month"],
  dd: ["(\\d{2})", "day"], d: ["(\\d{1,2})", "day"], HH: ["(\\d{2})", "hour"], H: ["(\\d{1,2})", "hour"],
  mm: ["(\\d{2})", "minute"], ss: ["(\\d{2})", "second"], SSS: ["(\\d{1,6})", "fraction"],
};

/** Compiles a `yyyy-MM-dd`-style pattern into a regular expression once. */
function patternParser(format: string): (text: string) => DateParts | undefined {
  const fields: (keyof DateParts | "year2")[] = [];
  let source = "";
  for (let i = 0; i < format.length;) {
    const token = ["yyyy", "SSS", "yy", "MM", "dd", "HH", "mm", "ss", "M", "d", "H"].find((t) => format.startsWith(t, i));
    if (token) {
      source += tokenPatterns[token][0];
      fields.push(tokenPatterns[token][1]);
      i += token.length;
    } else {
      source += format[i].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      i++;
    }
  }
  const pattern = new RegExp(`^${source}$`);
  return (text) => {
    const m = pattern.exec(text);
    if (!m) return undefined;
    const parts: DateParts = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0 };
    fields.forEach((field, i) => {
      const value = m[i + 1];
      if (field === "year2") parts.year = 2000 + Number(value) - (Number(value) > 69 ? 100 : 0);
      else if (field === "fraction") parts.fraction = value;
      else parts[field] = Number(value);
    });
    return parts;
  };
}

function validDate(p: DateParts): boolean {
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.hour > 23 || p.minute > 59 || p.second > 59 || p.year < 1) return false;
  const daysInMonth = new Date(Date.UTC(p.year, p.month, 0)).getUTCDate();
  return p.day <= daysInMonth;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** A Date as `yyyy-MM-dd HH:mm:ss.SSS` in UTC: a Date is an instant, and UTC never shifts with the machine's zone. */
const formatDate = (date: Date) => date.toISOString().replace("T", " ").replace("Z", "");

function expandExponent(text: string): string {
  const [mantissa, exponentText] = text.toLowerCase().split("e");
  const negative = mantissa.startsWith("-");
  const [whole, fraction = ""] = mantissa.replace(/^[+-]/, "").split(".");
  let digits = whole + fraction;
  let point = whole.length + Number(exponentText);
  if (point <= 0) { digits = "0".repeat(1 - point) + digits; point = 1; }
  if (point > digits.length) digits += "0".repeat(point - digits.length);
  const result = `${digits.slice(0, point)}${point < digits.length ? "." + digits.slice(point) : ""}`.replace(/^0+(?=\d)/, "");
  return negative ? `-${result}` : result;
}

/** Rounds a plain decimal string half away from zero, exactly (no floating point). */
export function roundHalfUp(text: string, scale: number): string {
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace(/^[+-]/, "").split(".");
  const padded = (fraction + "0".repeat(scale + 1)).slice(0, scale + 1);
  let digits = BigInt(whole + padded.slice(0, scale) || "0");
  if (Number(padded[scale]) >= 5) digits += 1n;
  let out = digits.toString().padStart(scale + 1, "0");
  if (scale > 0) out = `${out.slice(0, -scale)}.${out.slice(-scale)}`;
  return negative && /[1-9]/.test(out) ? `-${out}` : out;
}

export const newUuid = () => randomUUID();
