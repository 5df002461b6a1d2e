namespace FileServer; internal static class Placeholder {}
