// esbuild bundles the stylesheets that the webview entry points import for their side effect.
declare module "*.css";
