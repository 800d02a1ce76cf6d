// HCL: a parser and evaluator for HashiCorp Configuration Language files, written for this
// project. It reads HCL2 native syntax (attributes, labelled blocks, the full expression and
// template language) and the HCL1 forms still found in agent configuration files. It knows
// nothing of jobs or agents: those layers decode the Body it returns.
//
//   parseHcl(source, filename)      -> { body, diagnostics }   every syntax error, with ranges
//   evaluate(expr, ctx)             -> { value, diagnostics }  with HCL's type conversions
//   standardFunctions()             -> the function library for ctx.functions
//   bodyToPlain(body, ctx)          -> plain JS values, with locate(path) for error positions

export type { Attribute, Block, Body, BodyItem, Expr, TemplatePart } from './ast.js';
export { childExprs, traversalRoot } from './ast.js';
export { parseHcl, parseHclExpression, type ParseResult } from './parser.js';
export { errorAt, formatDiagnostic, hasErrors, type Diagnostic, type Severity } from './diagnostic.js';
export { formatPos, joinRanges, type Pos, type Range } from './range.js';
export { evaluate, evaluateKeepingUnknowns, EvalError, type EvalContext, type EvalResult } from './evaluate.js';
export {
  asBool,
  asInteger,
  asList,
  asNumber,
  asObject,
  asString,
  ConversionError,
  convertTo,
  typeFromExpr,
  typeToString,
  type TypeSpec,
} from './convert.js';
export { fn, FunctionError, type EagerFunction, type HclFunction, type LazyFunction } from './function.js';
export { type FileAccess, FileReadLog, standardFunctions, type StandardFunctionOptions } from './functions/index.js';
export { parseGoDuration } from './functions/duration.js';
export { jsonEncode } from './functions/encoding.js';
export { bodyToPlain, type PlainOptions, type PlainPath, type PlainResult, type SourceLocation } from './plain.js';
export {
  containsUnknown,
  describeType,
  isObjectValue,
  numberToString,
  typeOfValue,
  UnknownValue,
  unknownsToTemplateText,
  valuesEqual,
  type Value,
  type ValueObject,
} from './value.js';
