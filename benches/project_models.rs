//! Start-up on a project of many apps: 500 models across 50 apps (generated: each app's
//! models.py imports an abstract base from the first app and models from the app before it,
//! with foreign keys, many-to-many fields, choices, `Meta` and methods), read as `--models
//! PROJECT` reads it (finding the apps, following imports, parsing, reading the classes) and
//! the schema merged from it. Median of 20 runs, in wall-clock time and in this thread's CPU
//! time (which a loaded machine does not inflate); the goal is at most 50 ms.
//!
//! Run with `cargo bench --bench project_models`.

use std::path::Path;
use std::time::{Duration, Instant};

const APPS: usize = 50;
const MODELS_PER_APP: usize = 10;

fn write_project(root: &Path) {
    for app in 0..APPS {
        let dir = root.join(format!("app{app:02}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("__init__.py"), "").unwrap();
        let mut text = String::from("from django.db import models\n\n");
        if app > 0 {
            text += "from app00.models import TimeStamped\n";
            text += &format!(
                "from app{:02}.models import Model9 as Previous\n\n",
                app - 1
            );
        } else {
            text += "\nclass TimeStamped(models.Model):\n    created = models.DateTimeField(auto_now_add=True)\n    updated = models.DateTimeField(auto_now=True)\n\n    class Meta:\n        abstract = True\n\n";
        }
        text += "STATUS = [(\"d\", \"Draft\"), (\"p\", \"Published\")]\n\n";
        for m in 0..MODELS_PER_APP {
            let base = if m % 2 == 0 {
                "TimeStamped"
            } else {
                "models.Model"
            };
            text += &format!("\nclass Model{m}({base}):\n");
            text += "    name = models.CharField(max_length=100, db_index=True)\n";
            text += "    slug = models.SlugField(unique=True)\n";
            text += "    status = models.CharField(max_length=1, choices=STATUS, default=\"d\")\n";
            text += "    price = models.DecimalField(max_digits=8, decimal_places=2, null=True)\n";
            text += "    count = models.PositiveIntegerField(default=0)\n";
            if m > 0 {
                text += &format!(
                    "    parent = models.ForeignKey(Model{}, on_delete=models.CASCADE, related_name=\"children_{m}\")\n",
                    m - 1
                );
            } else if app > 0 {
                text += "    previous = models.ForeignKey(Previous, null=True, on_delete=models.SET_NULL)\n";
            }
            if m == 3 {
                text += "    friends = models.ManyToManyField(\"self\", blank=True)\n";
            }
            text += "\n    class Meta:\n        ordering = [\"name\"]\n";
            text += "\n    def __str__(self):\n        return self.name\n";
            text += "\n    def label(self):\n        if (n := len(self.name)) > 10:\n            return self.name[:10]\n        return f\"{self.name} ({n})\"\n";
        }
        std::fs::write(dir.join("models.py"), text).unwrap();
    }
}

/// This thread's CPU time so far.
fn cpu_time() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec for the call to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn main() {
    let dir = tempfile::tempdir().expect("temporary directory");
    write_project(dir.path());
    let paths = [dir.path().to_path_buf()];
    let mut models = 0;
    let (mut wall, mut cpu): (Vec<Duration>, Vec<Duration>) = (0..20)
        .map(|_| {
            let (started, cpu_started) = (Instant::now(), cpu_time());
            let decls = djq::schema::models_py::load(&paths).unwrap();
            models = decls.iter().filter(|d| !d.auto_created).count();
            std::hint::black_box(djq::schema::models_py::schema_from_models(decls).unwrap());
            (started.elapsed(), cpu_time() - cpu_started)
        })
        .unzip();
    wall.sort();
    cpu.sort();
    assert_eq!(models, APPS * MODELS_PER_APP);
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{models} models across {APPS} apps: models.py read and schema merged in {:.1} ms CPU, {:.1} ms wall (medians of {}; fastest wall {:.1} ms)",
        ms(cpu[cpu.len() / 2]),
        ms(wall[wall.len() / 2]),
        wall.len(),
        ms(wall[0]),
    );
}
