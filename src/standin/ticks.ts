/** Tick (or untick) task boxes and the Start box in a plan comment body, as GitHub's UI does. */
export function tick(body: string, ids: string[], ticked = true): string {
  return body
    .split('\n')
    .map((line) => {
      const hit = ids.some((id) =>
        id === 'Start'
          ? line.includes('<!-- gantry:start -->')
          : line.includes(`<!-- gantry:task=${id} -->`),
      );
      return hit ? line.replace(/^- \[[ x]\]/, ticked ? '- [x]' : '- [ ]') : line;
    })
    .join('\n');
}
