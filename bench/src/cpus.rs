//! Pins the server and the load generator to separate CPUs (`--server-cpus`, `--client-cpus`),
//! so that a figure measures the server rather than the two competing for the same cores.

/// A set of CPUs, as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpus(pub Vec<usize>);

/// Parses a CPU list such as `0`, `0,2` or `1-3`.
pub fn parse(list: &str) -> Result<Cpus, String> {
    let mut cpus = Vec::new();
    for part in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let number = |raw: &str| {
            raw.trim()
                .parse::<usize>()
                .map_err(|_| format!("`{raw}` is not a CPU number"))
        };
        match part.split_once('-') {
            Some((first, last)) => cpus.extend(number(first)?..=number(last)?),
            None => cpus.push(number(part)?),
        }
    }
    if cpus.is_empty() || cpus.iter().any(|&cpu| cpu >= libc::CPU_SETSIZE as usize) {
        return Err(format!("`{list}` names no usable CPU"));
    }
    Ok(Cpus(cpus))
}

/// Restricts the calling thread, the threads it starts afterwards and the processes it
/// executes to `cpus`.
pub fn pin(cpus: &[usize]) -> std::io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is the empty set; CPU_SET stays within it (`parse` bounds
    // the numbers) and sched_setaffinity only reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus {
            libc::CPU_SET(cpu, &mut set);
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The CPUs the calling thread may run on.
pub fn current() -> Vec<usize> {
    // SAFETY: sched_getaffinity writes at most size_of::<cpu_set_t>() bytes into `set`.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges_parse() {
        assert_eq!(parse("0"), Ok(Cpus(vec![0])));
        assert_eq!(parse("0,2"), Ok(Cpus(vec![0, 2])));
        assert_eq!(parse("1-3"), Ok(Cpus(vec![1, 2, 3])));
        assert!(parse("").is_err());
        assert!(parse("x").is_err());
        assert!(parse("99999").is_err());
    }
}
