/* bpfjit-compat-oracle OBJ...: asks the running kernel for the verdict on every program of
 * each object, one program at a time, and prints one TSV row per program:
 *
 *   object <TAB> program <TAB> section <TAB> accept|reject <TAB> reason
 *
 * The reason of a rejection is the last line the kernel's verifier logged before its
 * "processed N insns" summary (or libbpf's last message when the kernel was never asked).
 *
 * Objects libbpf can open are loaded with libbpf: the object is opened afresh for each
 * program and every other program's autoload is turned off. Two kinds of objects libbpf
 * 1.x does not load are handled by a small loader of our own (libelf, bpf(2)): code
 * sections with no function symbol (hand-written assembly), code only in .text, and
 * legacy `maps` sections. That loader supports only relocations against legacy maps.
 *
 * Must run as root on the kernel whose verdicts are wanted. Exit code 0 when every object
 * was examined, 1 otherwise. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#define LOG_SIZE (16u << 20)

static char *g_log;
static char g_libbpf_last[512];
/* set by libbpf's messages during one load */
static int g_slot_init_failed;  /* a prog_array slot named a program that was not loaded */
static int g_prog_failed;       /* libbpf reported a program's load as failed */

static int on_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  vsnprintf(line, sizeof(line), fmt, ap);
  if (strstr(line, "failed to initialize slot")) g_slot_init_failed = 1;
  else if (strstr(line, "prog '") && strstr(line, "failed")) g_prog_failed = 1;
  size_t n = strlen(line);
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' ')) line[--n] = '\0';
  /* libbpf echoes the verifier log between these markers; keep only its own words */
  if (n > 0 && strncmp(line, "-- BEGIN", 8) != 0 && strncmp(line, "-- END", 6) != 0 &&
      strchr(line, ':') != NULL)
    snprintf(g_libbpf_last, sizeof(g_libbpf_last), "%.*s", (int)sizeof(g_libbpf_last) - 1, line);
  return 0;
}

/* The last non-empty line of `log` before its "processed N insns" line; tabs and newlines
 * become spaces so that the reason fits one TSV field. */
static void rejection_reason(const char *log, char *out, size_t size) {
  out[0] = '\0';
  const char *end = NULL;
  for (const char *p = log; p && *p;) {
    if (strncmp(p, "processed ", 10) == 0 && strstr(p, " insns") != NULL) {
      end = p;
      break;
    }
    const char *nl = strchr(p, '\n');
    p = nl ? nl + 1 : NULL;
  }
  if (!end) end = log + strlen(log);
  const char *line_end = end;
  while (line_end > log) {
    while (line_end > log && (line_end[-1] == '\n' || line_end[-1] == ' ')) --line_end;
    const char *line_start = line_end;
    while (line_start > log && line_start[-1] != '\n') --line_start;
    if (line_end > line_start) {
      size_t n = (size_t)(line_end - line_start);
      if (n >= size) n = size - 1;
      memcpy(out, line_start, n);
      out[n] = '\0';
      break;
    }
    line_end = line_start;
  }
  for (char *c = out; *c; ++c)
    if (*c == '\t' || *c == '\n') *c = ' ';
}

static void print_row(const char *object, const char *program, const char *section, int ok,
                      const char *log) {
  char reason[sizeof(g_libbpf_last)] = "";
  if (!ok) {
    rejection_reason(log, reason, sizeof(reason));
    if (!reason[0]) snprintf(reason, sizeof(reason), "%s", g_libbpf_last);
    for (char *c = reason; *c; ++c)
      if (*c == '\t') *c = ' ';
  }
  printf("%s\t%s\t%s\t%s\t%s\n", object, program, section, ok ? "accept" : "reject", reason);
  fflush(stdout);
}

/* The program type a section name implies, for sections libbpf does not know (legacy
 * names such as "socket1" or "classifier", or code with no symbol). */
struct section_type {
  const char *prefix;
  enum bpf_prog_type type;
};
static const struct section_type kSectionTypes[] = {
    {"socket", BPF_PROG_TYPE_SOCKET_FILTER},   {"xdp", BPF_PROG_TYPE_XDP},
    {"classifier", BPF_PROG_TYPE_SCHED_CLS},   {"tc", BPF_PROG_TYPE_SCHED_CLS},
    {"action", BPF_PROG_TYPE_SCHED_ACT},       {"kprobe/", BPF_PROG_TYPE_KPROBE},
    {"tracepoint/", BPF_PROG_TYPE_TRACEPOINT}, {"cgroup_skb/", BPF_PROG_TYPE_CGROUP_SKB},
    {".text", BPF_PROG_TYPE_SOCKET_FILTER},
};

static enum bpf_prog_type type_for_section(const char *section) {
  for (size_t i = 0; i < sizeof(kSectionTypes) / sizeof(kSectionTypes[0]); ++i)
    if (strncmp(section, kSectionTypes[i].prefix, strlen(kSectionTypes[i].prefix)) == 0)
      return kSectionTypes[i].type;
  return BPF_PROG_TYPE_UNSPEC;
}

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* ---- libbpf path ---- */

/* Loads program number `index` of `path` alone; prints its row. */
static void libbpf_load_one(const char *path, int index) {
  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  if (!obj) return;
  struct bpf_program *prog, *target = NULL;
  int i = 0;
  bpf_object__for_each_program(prog, obj) {
    if (i++ == index) {
      target = prog;
      bpf_program__set_autoload(prog, true);
      g_log[0] = '\0';
      bpf_program__set_log_buf(prog, g_log, LOG_SIZE);
      bpf_program__set_log_level(prog, 1);
      if (bpf_program__type(prog) == BPF_PROG_TYPE_UNSPEC)
        bpf_program__set_type(prog, type_for_section(bpf_program__section_name(prog)));
    } else {
      bpf_program__set_autoload(prog, false);
    }
  }
  g_libbpf_last[0] = '\0';
  g_slot_init_failed = g_prog_failed = 0;
  int err = bpf_object__load(obj);
  /* libbpf fills the prog_array slots of __array(values) after loading every program; a
   * slot naming a program that was not loaded fails the object, not the program */
  int ok = err == 0 || (g_slot_init_failed && !g_prog_failed);
  print_row(base_name(path), bpf_program__name(target), bpf_program__section_name(target), ok,
            g_log);
  bpf_object__close(obj);
}

/* ---- own loader for what libbpf 1.x refuses ---- */

struct raw_object {
  Elf *elf;
  size_t shstrndx;
  Elf_Scn *symtab;
  size_t maps_shndx;
  int map_fds[64];
  size_t map_offsets[64];
  int nmaps;
  char license[64];
};

static int raw_create_maps(struct raw_object *o) {
  if (!o->maps_shndx || !o->symtab) return 0;
  Elf_Scn *scn = elf_getscn(o->elf, o->maps_shndx);
  Elf_Data *data = elf_getdata(scn, NULL);
  Elf_Data *syms = elf_getdata(o->symtab, NULL);
  GElf_Shdr symsh;
  gelf_getshdr(o->symtab, &symsh);
  size_t nsyms = symsh.sh_size / symsh.sh_entsize;
  int count = 0;
  for (size_t i = 0; i < nsyms; ++i) {
    GElf_Sym sym;
    gelf_getsym(syms, (int)i, &sym);
    if (sym.st_shndx == o->maps_shndx && GELF_ST_TYPE(sym.st_info) == STT_OBJECT) ++count;
  }
  if (count == 0 || count > 64) return -1;
  size_t def_size = data->d_size / (size_t)count;
  for (size_t i = 0; i < nsyms; ++i) {
    GElf_Sym sym;
    gelf_getsym(syms, (int)i, &sym);
    if (sym.st_shndx != o->maps_shndx || GELF_ST_TYPE(sym.st_info) != STT_OBJECT) continue;
    if (sym.st_value + 16 > data->d_size || def_size < 16) return -1;
    const __u32 *def = (const __u32 *)((const char *)data->d_buf + sym.st_value);
    LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = def_size >= 20 ? def[4] : 0);
    const char *name = elf_strptr(o->elf, symsh.sh_link, sym.st_name);
    char short_name[16];
    snprintf(short_name, sizeof(short_name), "%s", name);
    int fd = bpf_map_create((enum bpf_map_type)def[0], short_name, def[1], def[2], def[3], &mo);
    if (fd < 0) {
      snprintf(g_libbpf_last, sizeof(g_libbpf_last), "map %s: creation failed: %s", name,
               strerror(errno));
      return -1;
    }
    o->map_offsets[o->nmaps] = sym.st_value;
    o->map_fds[o->nmaps++] = fd;
  }
  return 0;
}

/* Applies the relocations of code section `shndx` to `insns`; -1 for one the loader does
 * not support. */
static int raw_relocate(struct raw_object *o, size_t shndx, struct bpf_insn *insns,
                        size_t ninsns) {
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(o->elf, scn)) != NULL) {
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    if (sh.sh_type != SHT_REL || sh.sh_info != shndx) continue;
    Elf_Data *rels = elf_getdata(scn, NULL);
    Elf_Data *syms = elf_getdata(o->symtab, NULL);
    for (size_t r = 0; r < sh.sh_size / sh.sh_entsize; ++r) {
      GElf_Rel rel;
      gelf_getrel(rels, (int)r, &rel);
      GElf_Sym sym;
      gelf_getsym(syms, (int)GELF_R_SYM(rel.r_info), &sym);
      size_t slot = rel.r_offset / 8;
      if (sym.st_shndx != o->maps_shndx || slot >= ninsns) return -1;
      int fd = -1;
      for (int m = 0; m < o->nmaps; ++m)
        if (o->map_offsets[m] == sym.st_value) fd = o->map_fds[m];
      if (fd < 0) return -1;
      insns[slot].src_reg = BPF_PSEUDO_MAP_FD;
      insns[slot].imm = fd;
    }
  }
  return 0;
}

/* The name of code section `shndx`: its first function symbol, else the section name. */
static const char *raw_program_name(struct raw_object *o, size_t shndx, const char *section) {
  if (!o->symtab) return section;
  GElf_Shdr symsh;
  gelf_getshdr(o->symtab, &symsh);
  Elf_Data *syms = elf_getdata(o->symtab, NULL);
  for (size_t i = 0; i < symsh.sh_size / symsh.sh_entsize; ++i) {
    GElf_Sym sym;
    gelf_getsym(syms, (int)i, &sym);
    if (sym.st_shndx == shndx && GELF_ST_TYPE(sym.st_info) == STT_FUNC && sym.st_value == 0)
      return elf_strptr(o->elf, symsh.sh_link, sym.st_name);
  }
  return section;
}

/* Loads the code sections of `path` that `skip` does not name, with the own loader.
 * `skip(section)` returns nonzero for sections libbpf already covered. */
static int raw_load(const char *path, int (*skip)(const char *, void *), void *arg) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  struct raw_object o = {0};
  o.elf = elf_begin(fd, ELF_C_READ, NULL);
  if (!o.elf || elf_getshdrstrndx(o.elf, &o.shstrndx) != 0) {
    close(fd);
    return -1;
  }
  snprintf(o.license, sizeof(o.license), "GPL");
  Elf_Scn *scn = NULL;
  while ((scn = elf_nextscn(o.elf, scn)) != NULL) {
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    const char *name = elf_strptr(o.elf, o.shstrndx, sh.sh_name);
    if (sh.sh_type == SHT_SYMTAB) o.symtab = scn;
    if (name && strcmp(name, "maps") == 0) o.maps_shndx = elf_ndxscn(scn);
    if (name && strcmp(name, "license") == 0) {
      Elf_Data *d = elf_getdata(scn, NULL);
      snprintf(o.license, sizeof(o.license), "%.*s", (int)d->d_size, (const char *)d->d_buf);
    }
  }
  int status = 0;
  int maps_ok = raw_create_maps(&o) == 0;
  scn = NULL;
  while ((scn = elf_nextscn(o.elf, scn)) != NULL) {
    GElf_Shdr sh;
    gelf_getshdr(scn, &sh);
    const char *section = elf_strptr(o.elf, o.shstrndx, sh.sh_name);
    if (sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_EXECINSTR) || sh.sh_size == 0)
      continue;
    if (skip && skip(section, arg)) continue;
    size_t shndx = elf_ndxscn(scn);
    const char *prog_name = raw_program_name(&o, shndx, section);
    if (!maps_ok) {
      print_row(base_name(path), prog_name, section, 0, "");
      continue;
    }
    Elf_Data *d = elf_getdata(scn, NULL);
    size_t ninsns = d->d_size / sizeof(struct bpf_insn);
    struct bpf_insn *insns = malloc(d->d_size);
    memcpy(insns, d->d_buf, d->d_size);
    if (raw_relocate(&o, shndx, insns, ninsns) != 0) {
      fprintf(stderr, "%s: section %s: a relocation the oracle's own loader cannot apply\n",
              path, section);
      free(insns);
      status = -1;
      continue;
    }
    LIBBPF_OPTS(bpf_prog_load_opts, po, .log_buf = g_log, .log_size = LOG_SIZE,
                .log_level = 1);
    g_log[0] = '\0';
    g_libbpf_last[0] = '\0';
    int pfd = bpf_prog_load(type_for_section(section), prog_name, o.license, insns,
                            ninsns, &po);
    if (pfd < 0 && !g_log[0])
      snprintf(g_libbpf_last, sizeof(g_libbpf_last), "bpf_prog_load: %s", strerror(errno));
    print_row(base_name(path), prog_name, section, pfd >= 0, g_log);
    if (pfd >= 0) close(pfd);
    free(insns);
  }
  for (int m = 0; m < o.nmaps; ++m) close(o.map_fds[m]);
  elf_end(o.elf);
  close(fd);
  return status;
}

struct covered {
  char sections[64][128];
  int n;
};

static int covered_by_libbpf(const char *section, void *arg) {
  struct covered *c = arg;
  for (int i = 0; i < c->n; ++i)
    if (strcmp(c->sections[i], section) == 0) return 1;
  /* .text holds the subprograms of libbpf's programs */
  return c->n > 0 && strcmp(section, ".text") == 0;
}

static int examine(const char *path) {
  libbpf_set_print(on_libbpf_print);
  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  if (!obj) return raw_load(path, NULL, NULL);
  struct covered c = {.n = 0};
  struct bpf_program *prog;
  int count = 0;
  bpf_object__for_each_program(prog, obj) {
    if (c.n < 64)
      snprintf(c.sections[c.n++], sizeof(c.sections[0]), "%s", bpf_program__section_name(prog));
    ++count;
  }
  bpf_object__close(obj);
  for (int i = 0; i < count; ++i) libbpf_load_one(path, i);
  return raw_load(path, covered_by_libbpf, &c);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s OBJ...\n", argv[0]);
    return 2;
  }
  elf_version(EV_CURRENT);
  g_log = calloc(1, LOG_SIZE);
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    if (examine(argv[i]) != 0) {
      fprintf(stderr, "%s: not every program could be examined\n", argv[i]);
      status = 1;
    }
  }
  free(g_log);
  return status;
}
