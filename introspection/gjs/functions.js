// functions.js: JS functions as data that a worker process runs again
//
// A function travels as its source text, or as a module reference (a
// module URI and an exported name), with bound arguments as JSON values.
// The source text is compiled again in the worker at global scope: it
// keeps nothing of its closure, so the parent refuses a function that
// uses a name that it does not declare and that is not a global.
//
// SPDX-License-Identifier: LGPL-2.1-or-later

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Pmap from 'gi://Pmap?version=1.0';

import {checkTravels, pmapError} from './values.js';

/* What a worker finds at global scope: a worker is a plain gjs, whose
 * globals are those of this one before any script adds its own. */
const GLOBALS = new Set(Object.getOwnPropertyNames(globalThis));

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

const SPEC = Symbol('PmapJS function');
const analysed = new WeakMap();

function notSerializable(message) {
    return pmapError(Pmap.Error.NOT_SERIALIZABLE, message);
}

function label(func) {
    return func.name ? `The function “${func.name}”` : 'An anonymous function';
}

/*
 * The names that @fn (an ESTree-like node of Reflect.parse) uses without
 * declaring them, whether it uses `this` (or `super`) of its caller, and
 * `arguments` of an enclosing function. Scopes are not told apart: a name
 * declared anywhere in the function counts as its own.
 */
function scanFunction(fn) {
    const declared = new Set();
    const used = new Set();
    const outer = {this: false, arguments: false};

    // @owner: the nearest function that gives `this` and `arguments` a
    // meaning of their own, null while they are the caller's.
    const walk = (node, owner) => {
        if (Array.isArray(node)) {
            node.forEach(child => walk(child, owner));
            return;
        }
        if (node === null || typeof node !== 'object' || typeof node.type !== 'string')
            return;

        switch (node.type) {
        case 'Identifier':
            if (node.name === 'arguments' && owner === null)
                outer.arguments = true;
            else if (node.name !== 'arguments')
                used.add(node.name);
            return;
        case 'ThisExpression':
        case 'Super':
            if (owner === null || owner === fn)
                outer.this = true;
            return;
        case 'MemberExpression':
        case 'OptionalMemberExpression':
            walk(node.object, owner);
            if (node.computed)
                walk(node.property, owner);
            return;
        case 'Property':
            if (node.key?.type === 'ComputedName')
                walk(node.key, owner);
            walk(node.value, owner);
            return;
        case 'ClassField':
        case 'ClassMethod':
            if (node.name?.type === 'ComputedName')
                walk(node.name, owner);
            walk(node.init ?? node.body, owner);
            return;
        case 'LabeledStatement':
            walk(node.body, owner);
            return;
        case 'BreakStatement':
        case 'ContinueStatement':
        case 'MetaProperty':
            return;
        case 'FunctionDeclaration':
        case 'FunctionExpression':
        case 'ArrowFunctionExpression': {
            const inner = node.type === 'ArrowFunctionExpression' ? owner : node;
            if (node.id)
                declared.add(node.id.name);
            node.params.forEach(param => bind(param, inner));
            walk(node.defaults, inner);
            if (node.rest)
                bind(node.rest, inner);
            walk(node.body, inner);
            return;
        }
        case 'VariableDeclarator':
            bind(node.id, owner);
            walk(node.init, owner);
            return;
        case 'CatchClause':
            if (node.param)
                bind(node.param, owner);
            walk(node.body, owner);
            return;
        case 'ClassStatement':
        case 'ClassExpression':
            if (node.id)
                declared.add(node.id.name);
            walk(node.superClass, owner);
            // Fields and static blocks see the class or its instance as
            // `this`.
            walk(node.body, node);
            return;
        default:
            for (const [key, child] of Object.entries(node)) {
                if (key !== 'loc' && key !== 'type')
                    walk(child, owner);
            }
        }
    };

    const bind = (pattern, owner) => {
        switch (pattern?.type) {
        case 'Identifier':
            declared.add(pattern.name);
            return;
        case 'ObjectPattern':
            for (const property of pattern.properties) {
                if (property.type === 'Property') {
                    if (property.key?.type === 'ComputedName')
                        walk(property.key, owner);
                    bind(property.value, owner);
                } else {
                    bind(property, owner);
                }
            }
            return;
        case 'ArrayPattern':
            pattern.elements.forEach(element => element && bind(element, owner));
            return;
        case 'AssignmentExpression':
            bind(pattern.left, owner);
            walk(pattern.right, owner);
            return;
        case 'SpreadExpression':
            bind(pattern.expression, owner);
            return;
        default:
            walk(pattern, owner);
        }
    };

    walk(fn, null);
    return {free: [...used].filter(name => !declared.has(name)), outer};
}

/* The function node of a function's source: an expression, or a method
 * written in an object literal or a class (`square(x) {…}`). */
function parseSource(func, source) {
    try {
        return {form: 'expression', node: Reflect.parse(`(${source})`).body[0].expression};
    } catch {}
    try {
        const object = Reflect.parse(`({${source}})`).body[0].expression;
        if (object.properties.length === 1)
            return {form: 'method', node: object.properties[0].value};
    } catch {}
    throw notSerializable(`${label(func)} cannot be compiled again from its source ` +
        'text, which is how PmapJS sends a function to a worker; give a function ' +
        'expression, an arrow function or a function declaration');
}

/**
 * Compiles a function from what describe() made of it, at global scope,
 * with its own name bound to itself so that it can call itself.
 */
export function compileSource({name, source, form}) {
    const expression = form === 'method' ? `Object.values({${source}})[0]` : `(${source})`;
    const named = IDENTIFIER.test(name) && !GLOBALS.has(name);
    const tag = `\n//# sourceURL=pmapjs:${name || 'anonymous'}`;
    const indirectEval = eval;

    if (named) {
        try {
            return indirectEval(`(() => { const ${name} = ${expression}; return ${name}; })()${tag}`);
        } catch (error) {
            if (!(error instanceof SyntaxError))
                throw error;
        }
    }
    return indirectEval(`${expression}${tag}`);
}

/* The source-text description of a plain function, or an error that says
 * why it cannot travel. */
function analyse(func) {
    const name = func.name ?? '';
    const source = Function.prototype.toString.call(func);
    const kind = Object.getPrototypeOf(func)?.constructor?.name;

    if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
        throw notSerializable(`${label(func)} is native code or a bound function, ` +
            'which has no source text to send to a worker; instead of ' +
            'func.bind(null, a), use PmapJS.partial(func, a)');
    }
    if (kind !== 'Function') {
        throw notSerializable(`${label(func)} is an async function or a generator ` +
            `(${kind}): a worker calls functions synchronously, and takes what they ` +
            'return as the result');
    }
    if (/^class\b/.test(source))
        throw notSerializable(`${label(func)} is a class, not a function to call`);

    const {form, node} = parseSource(func, source);
    const {free, outer} = scanFunction(node);
    const closure = free.filter(n => !GLOBALS.has(n) && n !== name);
    const spec = {kind: 'source', name, source, form};

    if (closure.length > 0 || outer.this || outer.arguments) {
        const names = closure.map(n => `“${n}”`);
        if (outer.this)
            names.push('“this”');
        if (outer.arguments)
            names.push('“arguments” of an enclosing function');
        throw notSerializable(`${label(func)} uses ${names.join(', ')}, which it ` +
            'does not declare itself and which is not a global: PmapJS sends a ' +
            'function to a worker as its source text, without its closure. Pass ' +
            'the value as an argument (PmapJS.partial(func, value), or in the ' +
            'items) or declare it inside the function');
    }

    // The worker compiles the same text: a function that does not compile
    // here would not compile there.
    compileSource(spec);
    return spec;
}

/**
 * What travels for @func: {kind: 'source', name, source, form} or
 * {kind: 'module', uri, export, name}, with args (bound arguments) and
 * byValue (whether it was wrapped to travel by value).
 */
export function describe(func) {
    if (typeof func !== 'function')
        throw new TypeError(`PmapJS maps functions, not ${func === null ? 'null' : typeof func}`);
    if (func[SPEC])
        return func[SPEC];

    let spec = analysed.get(func);
    if (!spec) {
        spec = {...analyse(func), args: [], byValue: false};
        analysed.set(func, spec);
    }
    return spec;
}

function withSpec(func, spec) {
    Object.defineProperty(func, SPEC, {value: Object.freeze(spec)});
    return func;
}

/**
 * Marks @func to travel by value, as its source text, whatever the
 * serializer: joblib's wrap_non_picklable_objects(). Returns a function
 * that calls @func, so that it can still be called here.
 */
export function wrap(func) {
    const spec = describe(func);
    return withSpec((...args) => func(...args), {...spec, byValue: true});
}

/**
 * Binds the first arguments of @func to @args, which travel with it as
 * values: PmapJS's Function.prototype.bind(), which it cannot send.
 */
export function partial(func, ...args) {
    const spec = describe(func);
    args.forEach((arg, i) => checkTravels(arg, `argument ${i + 1} bound to ${spec.name || 'a function'}`));
    return withSpec((...rest) => func(...args, ...rest), {...spec, args: [...spec.args, ...args]});
}

/* Namespaces of the modules that module references name, by URI. */
const modules = new Map();

function startImport(uri) {
    let entry = modules.get(uri);
    if (!entry) {
        entry = {done: false, namespace: null, error: null};
        entry.promise = import(uri).then(
            namespace => Object.assign(entry, {done: true, namespace}),
            error => Object.assign(entry, {done: true, error}));
        modules.set(uri, entry);
    }
    return entry;
}

/**
 * The module at @uri, imported if needed. ES modules load asynchronously:
 * this iterates the default main context until the module has loaded,
 * which GJS does only outside its promise jobs, as at the top level of a
 * script and in a worker. @timeoutSeconds bounds the wait.
 */
export function importNow(uri, timeoutSeconds = 30) {
    const entry = startImport(uri);
    const context = GLib.MainContext.default();
    const deadline = GLib.get_monotonic_time() + timeoutSeconds * GLib.USEC_PER_SEC;
    const wakeUp = GLib.timeout_add(GLib.PRIORITY_DEFAULT, 50, () => GLib.SOURCE_CONTINUE);

    try {
        while (!entry.done && GLib.get_monotonic_time() < deadline)
            context.iteration(true);
    } finally {
        GLib.source_remove(wakeUp);
    }
    if (!entry.done) {
        throw pmapError(Pmap.Error.FAILED, `The module ${uri} did not load within ` +
            `${timeoutSeconds} s; a blocking map that runs a function of a module in ` +
            'this process cannot wait for it inside a promise job (after an await): ' +
            'use PmapJS.mapAsync(), or await import() of the module first');
    }
    if (entry.error)
        throw entry.error;
    return entry.namespace;
}

/** Waits until the module at @uri has loaded (for the asynchronous maps). */
export async function importLater(uri) {
    await startImport(uri).promise;
}

/** Finds the exported function that a module reference names. */
export function resolveExport({uri, export: exportName}) {
    const func = importNow(uri)[exportName];
    if (typeof func !== 'function') {
        throw pmapError(Pmap.Error.UNKNOWN_FUNCTION,
            `The module ${uri} exports no function named “${exportName}”`);
    }
    return func;
}

/**
 * A function by module reference: the export @exportName of the ES module
 * @specifier, an absolute URI (file://, resource://) or path, or a path
 * relative to @baseUri (such as import.meta.url). The worker imports the
 * module and calls the export; only the reference travels. Called here, it
 * returns a promise of the export's result.
 */
export function fromModule(specifier, exportName = 'default', baseUri = null) {
    let file;
    if (/^[a-z][a-z0-9+.-]*:/i.test(specifier))
        file = Gio.File.new_for_uri(specifier);
    else if (GLib.path_is_absolute(specifier))
        file = Gio.File.new_for_path(specifier);
    else if (baseUri)
        file = Gio.File.new_for_uri(baseUri).get_parent().resolve_relative_path(specifier);
    else
        throw new TypeError(`The module “${specifier}” is relative: give an absolute URI or path, or a base such as import.meta.url`);

    const uri = file.get_uri();
    startImport(uri);
    const spec = {kind: 'module', uri, export: exportName, name: `${exportName} of ${uri}`, args: [], byValue: false};
    return withSpec(async (...args) => (await import(uri))[exportName](...args), spec);
}
