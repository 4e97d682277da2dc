export * from './markers.js';
export * from './signed-state.js';
export * from './render.js';
export * from './parse.js';
export * from './fits-comment.js';
export { renderMermaid } from './mermaid.js';
export * from './superseded.js';
export { renderPrBody } from './pr-body.js';
