#!/usr/bin/env node
// A `solc`-compatible front-end for solc-js (npm package `solc`), for tools that expect the
// native binary: py-solc-x/ape-solidity, forge and slither. Supported:
//   solc --version
//   solc --standard-json [--base-path DIR] [--include-path DIR]... [--allow-paths ...]  (stdin -> stdout)
// Imports resolve against the base path, then each include path, then the working directory.
// Sources given as `urls` (crytic-compile does this) are read into `content` before compiling.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));

function finish(text, code) {
  // Let stdout drain before exiting: exit() right after write() truncates large JSON on a pipe.
  process.stdout.write(text, () => process.exit(code));
}

const args = process.argv.slice(2);
if (args.includes('--version') || args.includes('-v')) {
  finish('solc, the solidity compiler commandline interface\nVersion: ' + solc.version() + '\n', 0);
} else if (args.includes('--standard-json')) {
  const roots = [];
  for (let i = 0; i < args.length; i++) {
    if ((args[i] === '--base-path' || args[i] === '--include-path') && args[i + 1]) roots.push(args[++i]);
  }
  roots.push(process.cwd());
  const resolve = (p) => {
    if (path.isAbsolute(p) && fs.existsSync(p)) return p;
    for (const root of roots) {
      const candidate = path.resolve(root, p);
      if (fs.existsSync(candidate)) return candidate;
    }
    return null;
  };
  const input = JSON.parse(fs.readFileSync(0, 'utf8'));
  for (const [name, source] of Object.entries(input.sources || {})) {
    if (source.content === undefined && Array.isArray(source.urls)) {
      const found = source.urls.map(resolve).find(Boolean) || resolve(name);
      if (found) input.sources[name] = { content: fs.readFileSync(found, 'utf8') };
    }
  }
  // solc-js copies its input string onto the WebAssembly stack (a few MB): a large project's
  // sources given inline overflow it ("memory access out of bounds"). So every inline source is
  // handed to solc as a URL and served from memory by the read callback instead (heap memory).
  const inline = new Map();
  for (const [name, source] of Object.entries(input.sources || {})) {
    if (typeof source.content === 'string') {
      const url = 'inline:' + name;
      inline.set(url, source.content);
      const { content, ...rest } = source;
      input.sources[name] = { ...rest, urls: [url] };
    }
  }
  const findImports = (p) => {
    if (inline.has(p)) return { contents: inline.get(p) };
    const found = resolve(p);
    return found ? { contents: fs.readFileSync(found, 'utf8') } : { error: 'File not found: ' + p };
  };
  finish(solc.compile(JSON.stringify(input), { import: findImports }), 0);
} else {
  process.stderr.write('solc.js wrapper: only --version and --standard-json are supported\n');
  process.exit(2);
}
