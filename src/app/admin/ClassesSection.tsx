/**
 * The school's classes (made by the roster import) with their head counts and the staff assigned to each:
 * homeroom teacher, subject teachers, peer monitors. Assignments are made on the accounts section.
 */
import type { AccountList } from "../../shared/accounts";
import type { ClassList } from "../../shared/schools";
import { classLabel } from "../staff/model";
import { isolate } from "../ui/bidi";
import { UserText } from "../ui/UserText";
import { useLoad } from "./api";
import { staffByClass } from "./model";
import { LoadView } from "./parts";

export function ClassesSection({ schoolId }: { schoolId: string }) {
  const classes = useLoad<ClassList>(`/api/schools/${encodeURIComponent(schoolId)}/classes`);
  const accounts = useLoad<AccountList>(`/api/accounts?schoolId=${encodeURIComponent(schoolId)}&limit=1000`);
  const staff = accounts.loaded.kind === "ready" ? staffByClass(accounts.loaded.data.accounts) : new Map<string, never>();
  // Each name an isolate: a bidi control in one must not reorder the names after it.
  const names = (list: readonly string[] | undefined) => (list && list.length > 0 ? list.map(isolate).join("、") : "—");

  return (
    <section aria-labelledby="classes-title">
      <h2 id="classes-title">班级 · Classes</h2>
      <p>
        班级由名单导入生成；班主任、任课教师和心理委员在“账号”中分配。Classes come from the roster import; assign teachers and peer monitors under{" "}
        <a href="/admin/accounts">账号 · Accounts</a>.
      </p>
      <LoadView loaded={classes.loaded}>
        {(data) =>
          data.classes.length === 0 ? (
            <p>还没有班级，请先导入名单。No classes yet: import the roster first.</p>
          ) : (
            <table className="xq-admin-table" aria-label="班级列表 · Classes">
              <thead>
                <tr>
                  <th scope="col">班级 · Class</th>
                  <th scope="col">在册 · Enrolled</th>
                  <th scope="col">离校 · Left</th>
                  <th scope="col">班主任 · Homeroom</th>
                  <th scope="col">任课 · Teachers</th>
                  <th scope="col">心理委员 · Peer monitors</th>
                </tr>
              </thead>
              <tbody>
                {data.classes.map((c) => (
                  <tr key={c.id}>
                    <th scope="row">
                      <UserText text={classLabel(c)} />
                    </th>
                    <td>{c.enrolled}</td>
                    <td>{c.left}</td>
                    <td>{names(staff.get(c.id)?.homeroom)}</td>
                    <td>{names(staff.get(c.id)?.subject)}</td>
                    <td>{names(staff.get(c.id)?.peer)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </LoadView>
    </section>
  );
}
