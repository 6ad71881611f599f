// Stylesheets are bundled by esbuild; importing one brings no names.
declare module '*.css';
