/**
 * The database URL as a log line may show it: as given (a relative `file:` path stays relative),
 * but with any password replaced by `***`, in the authority (`postgres://user:secret@host/db`) or
 * in the query (`?password=secret`), also in a text that is not a URL.
 */
export function shownDatabase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url
      .replace(/(\/\/[^/?#@]*?:)[^/?#]*@/, "$1***@")
      .replace(/([?&]password=)[^&#]*/gi, "$1***");
  }
  const inQuery = [...parsed.searchParams.keys()].filter((key) => key.toLowerCase() === "password");
  if (parsed.password === "" && inQuery.length === 0) return url;
  if (parsed.password !== "") parsed.password = "***";
  for (const key of inQuery) parsed.searchParams.set(key, "***");
  return parsed.toString();
}
