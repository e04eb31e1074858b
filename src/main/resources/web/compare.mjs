export async function showCompare(main) { main.replaceChildren(); }
