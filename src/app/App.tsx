/**
 * The app shell. Features (student, observe, counselor, analyst, admin) are added as lazy routes, each
 * its own chunk, so the student page never loads staff code and staff pages never load survey-core.
 */
export function App() {
  return (
    <main className="xq-home">
      <h1>心晴 XinQing</h1>
      <p>学生心理健康筛查与跟进 · School mental-health screening and follow-up</p>
    </main>
  );
}
