/* show_if in the browser: which questions show, decided exactly as the server decides it.

   The server reads a posted answer (audit_app/shopper/forms.py: strip, numbers with "," or ".", durations in
   seconds or m:ss, N/A) and scoring compares it with the show_if values in their normalised form
   (scoring.schema.show_if_answer): yes/no, option keys, dates, times and text as exact strings; scales as whole
   numbers; numbers and durations as exact rationals. `shows` repeats those steps, including Python's idea of
   whitespace (str.strip) and of a digit (any Unicode decimal digit, such as full-width ３), so a question never
   shows on the phone while the server hides it, or the other way round. A question shows only when the question
   it depends on is itself shown; one whose question is in another section keeps what the server decided. */
import { $all } from "./common.js";

var NA_VALUE = "__na__";
var MAX_TEXT = 4000;
var WS = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
var EDGES = new RegExp("^[" + WS + "]+|[" + WS + "]+$", "g");
var DIGIT = /\p{Nd}/u;
var DURATION = new RegExp("^[" + WS + "]*(?:(\\p{Nd}{1,3})[" + WS + "]*[:：][" + WS + "]*)?(\\p{Nd}{1,6})[" + WS + "]*$", "u");
var DECIMAL = /^([+-]?)(?:([0-9](?:_?[0-9])*)(?:\.((?:[0-9](?:_?[0-9])*)?))?|\.([0-9](?:_?[0-9])*))(?:[eE]([+-]?[0-9](?:_?[0-9])*))?$/;
var NUMBER_TEXT = /^(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?[0-9]+\/[0-9]+)$/;

/* Python's str.strip(). */
export function pyStrip(text) { return String(text).replace(EDGES, ""); }

/* Every Unicode decimal digit as its ASCII digit (Python's int() and Decimal() read them all). Decimal digits
   come in runs of ten from 0 to 9, so a digit's value is its distance from the start of its run, modulo 10. */
function asciiDigits(text) {
  return Array.from(text).map(function (ch) {
    if (!DIGIT.test(ch) || (ch >= "0" && ch <= "9")) return ch;
    var cp = ch.codePointAt(0), start = cp;
    while (DIGIT.test(String.fromCodePoint(start - 1))) start -= 1;
    return String((cp - start) % 10);
  }).join("");
}

function pow10(n) { return BigInt(10) ** BigInt(n); }
/* {n, d} from the parts of a decimal: sign, integer digits, fraction digits, exponent. */
function rational(sign, whole, part, exponent) {
  var digits = (whole + part).replace(/_/g, "") || "0";
  var n = BigInt(digits), shift = BigInt((exponent || "0").replace(/_/g, "")) - BigInt(part.replace(/_/g, "").length);
  if (sign === "-") n = -n;
  if (shift > 2000n || shift < -2000n) return null;
  return shift >= 0n ? { n: n * pow10(shift), d: 1n } : { n: n, d: pow10(-shift) };
}
function decimalOf(text) {
  var m = DECIMAL.exec(text);
  if (!m) return null;
  return m[4] !== undefined ? rational(m[1], "", m[4], m[5]) : rational(m[1], m[2], m[3] || "", m[5]);
}
/* A typed number as the server reads it (Decimal, with "," as the decimal point); null when it is not one. */
function typedNumber(text) { return decimalOf(asciiDigits(text).replace(/,/g, ".")); }
/* A show_if value for a number or duration as scoring.schema.exact_fraction reads it. */
function exactFraction(value) {
  var text = pyStrip(value);
  if (!NUMBER_TEXT.test(text) || text.length > 400) return null;
  var slash = text.indexOf("/");
  if (slash === -1) return decimalOf(text);
  var d = BigInt(text.slice(slash + 1));
  return d === 0n ? null : { n: BigInt(text.slice(0, slash)), d: d };
}
function sameNumber(a, b) { return a !== null && b !== null && a.n * b.d === b.n * a.d; }
/* Seconds from '95', '1:35' or '1：35'; null when it is neither (audit_app.shopper.forms.parse_duration). */
function typedDuration(text) {
  var m = DURATION.exec(text);
  if (!m) return null;
  var seconds = +asciiDigits(m[2]);
  if (m[1] !== undefined && seconds >= 60) return null;
  return { n: BigInt((m[1] !== undefined ? +asciiDigits(m[1]) : 0) * 60 + seconds), d: 1n };
}

/* Whether a question whose show_if names a question of `type` shows, given what that question's controls would
   post: `values` (its q-KEY values, in order), `na` (its N/A box is ticked) and `wanted` (the show_if values as
   written in the checklist, as text). An answer the server would refuse counts as no answer. */
export function shows(type, values, na, wanted) {
  if (na) return false;
  if (type === "multi") return values.some(function (v) { return wanted.indexOf(v) !== -1; });
  var raw = values.length ? String(values[0]) : "";
  if (raw === NA_VALUE) return false;
  var text = pyStrip(raw);
  if (text === "") return false;
  if (type === "scale" || type === "nps") {
    if (!/^-?\p{Nd}+$/u.test(text)) return false;
    var whole = BigInt(asciiDigits(text));
    return wanted.some(function (w) { return /^-?[0-9]+$/.test(w) && BigInt(w) === whole; });
  }
  if (type === "number" || type === "duration") {
    var number = type === "number" ? typedNumber(text) : typedDuration(text);
    return number !== null && wanted.some(function (w) { return sameNumber(number, exactFraction(w)); });
  }
  if (type === "text") text = Array.from(text.replace(/\r\n?/g, "\n")).slice(0, MAX_TEXT).join("");
  return wanted.indexOf(text) !== -1;
}

/* What a question's controls on this page would post: {values, na}. */
function posted(key) {
  var values = $all('[name="q-' + key + '"]').filter(function (input) {
    if (input.matches(":disabled")) return false;
    return (input.type === "radio" || input.type === "checkbox") ? input.checked : true;
  }).map(function (input) { return input.value; });
  var na = $all('[name="na-' + key + '"]').some(function (box) { return box.checked && !box.matches(":disabled"); });
  return { values: values, na: na };
}
function isVisible(block) {
  var key = block.getAttribute("data-show-if");
  var controller = document.getElementById("q-" + key);
  if (!controller) return !block.hidden;            // decided by the server: the question is in another section
  if (controller.hidden) return false;
  var wanted = JSON.parse(block.getAttribute("data-show-values") || "[]").map(String);
  var answer = posted(key);
  return shows(controller.getAttribute("data-type"), answer.values, answer.na, wanted);
}
/* Shows and hides every show_if question of the page (in page order, so a chain follows its first link). */
export function applyShowIf() {
  $all("[data-show-if]").forEach(function (block) {
    var show = isVisible(block);
    block.hidden = !show;
    var box = block.querySelector("fieldset");
    if (box) box.disabled = !show;
  });
}
