/**
 * DMN types for the checks DMN-Scala's TypeChecker makes and the coercions DMN 1.4+ defines where a
 * typed variable is bound (a decision's result, a BKM's or function's parameters and result, a
 * context entry, a decision service's parameters): a value that conforms stays; a singleton list
 * given for a single value is its item; a single value given for a collection is a list of it;
 * anything else does not conform, and the binding fails with DMN-Scala's "expected 'T' but found"
 * text. Types are FEEL's built-in names and the model's item definitions (collections, components,
 * base types); other type expressions (`list<number>`, function types) are not checked.
 */
import { FeelDate, FeelDateTime, FeelDuration, FeelFunction, FeelTime } from 'feelin';
import type { XmlElement } from './xml.js';
import { scalaVal } from './scala-text.js';

interface ItemDefinition {
  name: string;
  typeRef?: string;
  isCollection: boolean;
  components?: ItemDefinition[];
  /** A function item: any function conforms. */
  isFunction?: boolean;
}

export interface DmnTypes {
  /** The value bound to a variable of type `typeRef`, coerced; throws TypeError naming the type when it does not conform. */
  coerce(value: unknown, typeRef: string | undefined): unknown;
}

function isDmn(el: XmlElement): boolean {
  return /^https?:\/\/www\.omg\.org\/spec\/DMN\//.test(el.ns);
}

function readItem(el: XmlElement): ItemDefinition {
  const typeRefEl = el.children.find((c) => c.name === 'typeRef' && isDmn(c));
  const components = el.children.filter((c) => c.name === 'itemComponent' && isDmn(c)).map(readItem);
  const typeRef = typeRefEl?.text.trim() || el.attrs.typeRef;
  return {
    name: el.attrs.name ?? '',
    ...(typeRef ? { typeRef } : {}),
    isCollection: el.attrs.isCollection === 'true',
    ...(components.length ? { components } : {}),
    ...(el.children.some((c) => c.name === 'functionItem' && isDmn(c)) ? { isFunction: true } : {}),
  };
}

function isContext(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
}

/** A built-in FEEL type name's check, or undefined when the name is not built in. */
function builtin(type: string): ((v: unknown) => boolean) | undefined {
  switch (type.replace(/^feel:/, '')) {
    case 'string':
      return (v) => typeof v === 'string';
    case 'number':
      return (v) => typeof v === 'number';
    case 'boolean':
      return (v) => typeof v === 'boolean';
    case 'date':
      return (v) => v instanceof FeelDate;
    case 'time':
      return (v) => v instanceof FeelTime;
    case 'dateTime':
    case 'date and time':
      return (v) => v instanceof FeelDateTime;
    case 'dayTimeDuration':
    case 'days and time duration':
      return (v) => v instanceof FeelDuration && !v.yearsMonths;
    case 'yearMonthDuration':
    case 'years and months duration':
      return (v) => v instanceof FeelDuration && v.yearsMonths;
    case 'context':
      return isContext;
    case 'list':
      return Array.isArray;
    case 'function':
      return (v) => v instanceof FeelFunction || typeof v === 'function';
    case 'Any':
    case 'any':
      return () => true;
  }
  return undefined;
}

export function dmnTypes(root: XmlElement, imported: { prefix: string; root: XmlElement }[] = []): DmnTypes {
  const items = new Map<string, ItemDefinition>();
  for (const el of root.children.filter((c) => c.name === 'itemDefinition' && isDmn(c))) items.set(el.attrs.name ?? '', readItem(el));
  for (const imp of imported) {
    for (const el of imp.root.children.filter((c) => c.name === 'itemDefinition' && isDmn(c))) items.set(`${imp.prefix}.${el.attrs.name ?? ''}`, readItem(el));
  }

  const lookup = (typeRef: string): ItemDefinition | undefined => items.get(typeRef) ?? items.get(typeRef.replace(/^[^.:]+[.:]/, ''));

  /** Whether `value` conforms; depth guards recursive item definitions. */
  const conformsItem = (value: unknown, item: ItemDefinition, depth: number, ignoreCollection = false): boolean => {
    if (value === null || value === undefined || depth > 20) return true;
    if (item.isCollection && !ignoreCollection) return Array.isArray(value) && value.every((v) => conformsItem(v, item, depth + 1, true));
    if (item.isFunction) return value instanceof FeelFunction || typeof value === 'function';
    if (item.components) {
      if (!isContext(value)) return false;
      return item.components.every((c) => Object.prototype.hasOwnProperty.call(value, c.name) && conformsItem(value[c.name], c, depth + 1));
    }
    return item.typeRef ? conforms(value, item.typeRef, depth + 1) : true;
  };

  const conforms = (value: unknown, typeRef: string, depth = 0): boolean => {
    if (value === null || value === undefined) return true;
    const check = builtin(typeRef);
    if (check) return check(value);
    const item = lookup(typeRef);
    return item ? conformsItem(value, item, depth) : true;
  };

  const isListType = (typeRef: string): boolean => {
    if (typeRef.replace(/^feel:/, '') === 'list') return true;
    return lookup(typeRef)?.isCollection === true;
  };

  return {
    coerce(value, typeRef) {
      if (!typeRef || value === null || value === undefined) return value ?? null;
      if (conforms(value, typeRef)) return value;
      if (Array.isArray(value) && value.length === 1 && !isListType(typeRef) && conforms(value[0], typeRef)) return value[0];
      if (!Array.isArray(value) && isListType(typeRef) && conforms([value], typeRef)) return [value];
      // DMN-Scala's TypeChecker text: the type without its feel: prefix, the value as FEEL-scala prints it
      throw new TypeError(`expected '${typeRef.replace(/^feel:/, '')}' but found '${scalaVal(value)}'`);
    },
  };
}
