// `import html from './index.html'`: wrangler's default module rules (and Wedge's) bundle
// *.html files as text modules.
declare module '*.html' {
  const text: string
  export default text
}
