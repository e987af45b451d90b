// The page's one element lookup: an id the page script needs and index.html lacks is an error at load, naming
// it, rather than a null met later. The ids are part of the page's contract (the end-to-end tests drive it by them).

export const byId = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
};
