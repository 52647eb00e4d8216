/* squares.vala: square ten numbers on two threads with pmap-glib
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

int main () {
    var executor = new Pmap.Executor ();
    executor.n_jobs = 2;

    var inputs = new Variant[10];
    for (int i = 0; i < inputs.length; i++)
        inputs[i] = new Variant.int64 (i);

    try {
        // The lambda runs on the executor's threads, several calls at a time.
        var results = executor.map (inputs, (item) => {
            int64 x = item.get_int64 ();
            return new Variant.int64 (x * x);
        });

        for (int i = 0; i < results.length; i++)
            print ("square(%d) = %" + int64.FORMAT + "\n", i, results[i].get_int64 ());
    } catch (Error error) {
        printerr ("The map failed: %s\n", error.message);
        return 1;
    }

    return 0;
}
